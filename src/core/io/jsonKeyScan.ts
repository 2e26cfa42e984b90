/**
 * Scan of a JSON object's keys in text order with duplicate detection at any depth (JSON.parse silently keeps the last
 * duplicate and reorders integer-like keys). Linear time: a native regular-expression search jumps from one structural
 * character (quote, brace, bracket, comma) to the next, so long runs of padding or number text cost no per-character
 * JavaScript work (a 99 MB space-padded safetensors header, which the format allows, took 5–13 s character by character).
 */

export interface KeyScan {
  /** Top-level keys in the order they appear in the text. */
  topLevelKeys: string[];
  /** First duplicate key found at any depth, with the top-level key it sits under (null at top level). */
  duplicate: { key: string; under: string | null } | null;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/** Index of the closing quote of the JSON string that opens at `text[start]` (text.length − 1 if unterminated). */
function endOfJsonString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return text.length - 1;
    // The quote is escaped when an odd number of backslashes precede it.
    let b = q - 1;
    while (b > start && text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q;
    i = q + 1;
  }
}

/** Scans already-validated JSON text for object keys; see KeyScan. */
export function scanJsonKeys(text: string): KeyScan {
  interface Frame {
    keys: Set<string> | null;
    expectKey: boolean;
    lastKey: string | null;
  }
  const stack: Frame[] = [];
  const topLevelKeys: string[] = [];
  let topLevelOwner: string | null = null;
  const structural = /["{}[\],]/g; // everything else (whitespace, numbers, literals, ':') cannot open or close a key
  for (let m = structural.exec(text); m !== null; m = structural.exec(text)) {
    const i = m.index;
    const c = text.charCodeAt(i);
    const top = stack.length > 0 ? stack[stack.length - 1] : undefined;
    if (c === QUOTE) {
      const end = endOfJsonString(text, i);
      if (top && top.keys && top.expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (top.keys.has(key)) {
          return { topLevelKeys, duplicate: { key, under: stack.length === 1 ? null : topLevelOwner } };
        }
        top.keys.add(key);
        top.expectKey = false;
        top.lastKey = key;
        if (stack.length === 1) topLevelKeys.push(key);
      }
      structural.lastIndex = end + 1;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (stack.length === 1) topLevelOwner = top!.lastKey;
      stack.push({ keys: c === OPEN_OBJECT ? new Set() : null, expectKey: c === OPEN_OBJECT, lastKey: null });
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      stack.pop();
    } else if (c === COMMA && top && top.keys) {
      top.expectKey = true;
    }
  }
  return { topLevelKeys, duplicate: null };
}
