/** Scan of a JSON object's keys in text order with duplicate detection at any depth (JSON.parse silently keeps the last duplicate and reorders integer-like keys). */

export interface KeyScan {
  /** Top-level keys in the order they appear in the text. */
  topLevelKeys: string[];
  /** First duplicate key found at any depth, with the top-level key it sits under (null at top level). */
  duplicate: { key: string; under: string | null } | null;
}

/** Index of the closing quote of the JSON string that opens at `text[start]`. */
function endOfJsonString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i += 2;
    else if (c === 0x22) return i;
    else i++;
  }
  return text.length - 1;
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
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '"') {
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
      i = end;
    } else if (c === '{' || c === '[') {
      if (stack.length === 1) topLevelOwner = top.lastKey;
      stack.push({ keys: c === '{' ? new Set() : null, expectKey: c === '{', lastKey: null });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',' && top && top.keys) {
      top.expectKey = true;
    }
  }
  return { topLevelKeys, duplicate: null };
}

