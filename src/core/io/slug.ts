/** A file- and folder-safe short form of a text ("Red heart, v2!" → "red-heart-v2"): lower case, runs of anything but a–z and 0–9 as one "-". */
export function slug(text: string, opts: { maxLength?: number; fallback?: string } = {}): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, opts.maxLength ?? 40) || (opts.fallback ?? 'item')
  );
}
