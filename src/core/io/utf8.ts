/** Strict UTF-8 encode/decode for the safetensors header (TextEncoder/TextDecoder are not in the ES2022 lib the core compiles against). */

/** UTF-8 bytes of `text`; a lone surrogate becomes U+FFFD. */
export function encodeUtf8(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Uint8Array.from(out);
}

/** Length of the UTF-8 sequence starting at `bytes[i]`, or 0 if it is not well-formed (RFC 3629 table). */
function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i];
  if (b0 < 0x80) return 1;
  let length: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) length = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    if (b0 === 0xe0) lo = 0xa0; // overlong
    if (b0 === 0xed) hi = 0x9f; // surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    if (b0 === 0xf0) lo = 0x90; // overlong
    if (b0 === 0xf4) hi = 0x8f; // > U+10FFFF
  } else return 0;
  if (i + length > bytes.length) return 0;
  const b1 = bytes[i + 1];
  if (b1 < lo || b1 > hi) return 0;
  for (let k = 2; k < length; k++) {
    if ((bytes[i + k] & 0xc0) !== 0x80) return 0;
  }
  return length;
}

/** Decodes well-formed UTF-8; returns the index of the first bad byte instead when it is not. */
export function decodeUtf8Strict(bytes: Uint8Array): { text: string } | { badByte: number } {
  const chunks: string[] = [];
  let units: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) return { badByte: i };
    let cp = bytes[i];
    if (length === 2) cp = ((cp & 0x1f) << 6) | (bytes[i + 1] & 0x3f);
    else if (length === 3) cp = ((cp & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f);
    else if (length === 4) {
      cp = ((cp & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f);
    }
    if (cp >= 0x10000) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    else units.push(cp);
    if (units.length >= 8192) {
      chunks.push(String.fromCharCode(...units));
      units = [];
    }
    i += length;
  }
  chunks.push(String.fromCharCode(...units));
  return { text: chunks.join('') };
}

