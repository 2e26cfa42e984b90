/** Minimal zip container (PKWARE APPNOTE §4.3: store or deflate via fflate, no zip64): write entries, read them back with CRC checks and bounded inflated sizes. */
import { deflateSync, inflateSync } from 'fflate';
import { decodeUtf8Strict, encodeUtf8 } from './utf8';

/** A zip archive that cannot be read (damaged, encrypted, zip64, unsupported compression). */
export class ZipError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ZipError';
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ZipEntry {
  name: string; // '/'-separated path
  data: Uint8Array;
}

function dosDateTime(ms: number): [number, number] {
  const d = new Date(ms);
  const year = Math.min(Math.max(d.getUTCFullYear(), 1980), 2107);
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
  const date = ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  return [time, date];
}

/** A zip of the entries (UTF-8 names; deflated where `deflate(name)` says so and it helps, else stored). */
export function writeZip(entries: ZipEntry[], opts: { mtime?: number; deflate?: (name: string) => boolean } = {}): Uint8Array {
  if (entries.length > 0xffff) throw new ZipError(`A zip holds at most 65,535 files without zip64, and this one would hold ${entries.length}; export fewer items at a time.`);
  const [time, date] = dosDateTime(opts.mtime ?? Date.now());
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  const names = new Set<string>();
  let offset = 0;
  for (const e of entries) {
    if (names.has(e.name)) throw new ZipError(`Two zip entries are named ${JSON.stringify(e.name)}; names must be unique.`);
    names.add(e.name);
    const name = encodeUtf8(e.name);
    const crc = crc32(e.data);
    let method = 0;
    let body = e.data;
    if (opts.deflate?.(e.name)) {
      const packed = deflateSync(e.data, { level: 6 });
      if (packed.length < e.data.length) [method, body] = [8, packed];
    }
    if (offset + 30 + name.length + body.length > 0xfffffffe) throw new ZipError('The zip would exceed 4 GB (zip64 is not supported); export fewer items at a time.');
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, 0x0800, true); // UTF-8 names
    lv.setUint16(8, method, true);
    lv.setUint16(10, time, true);
    lv.setUint16(12, date, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, e.data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0x0800, true);
    cv.setUint16(10, method, true);
    cv.setUint16(12, time, true);
    cv.setUint16(14, date, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, e.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    parts.push(local, body);
    central.push(cd);
    offset += local.length + body.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let o = 0;
  for (const p of [...parts, ...central, end]) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * How much a zip may unpack to. The central directory declares every entry's uncompressed size (APPNOTE 4.4.9); a
 * deflated entry may unpack up to ~1,000× its packed size, so a 1 MB upload could ask for a gigabyte. readZip checks
 * the declared sizes against these limits before it inflates anything, and inflates each entry into a buffer of
 * exactly its declared size, so a lying header cannot make it allocate more.
 */
export interface ZipLimits {
  maxEntryBytes: number | ((name: string, packedBytes: number) => number); // per file (or per file name and packed size)
  maxTotalBytes: number; // all files together
}

const MiB = 1024 * 1024;
export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntryBytes: 256 * MiB, maxTotalBytes: 1024 * MiB };

/** "1.10 GB": a byte count for messages. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} bytes`;
}

interface CentralEntry {
  name: string;
  rawName: Uint8Array;
  method: number;
  crc: number;
  csize: number;
  usize: number;
  local: number;
}

/**
 * Files of a zip by name (directories skipped), each checked against its CRC-32. Throws ZipError on anything damaged
 * or unsupported, and before inflating anything when an entry or the whole archive would unpack past `limits`.
 */
export function readZip(bytes: Uint8Array, limits: Partial<ZipLimits> = {}): Map<string, Uint8Array> {
  const { maxEntryBytes, maxTotalBytes } = { ...DEFAULT_ZIP_LIMITS, ...limits };
  const fail = (msg: string): never => {
    throw new ZipError(`${msg}; the file is not a zip or is damaged. Export it again.`);
  };
  if (!(bytes instanceof Uint8Array) || bytes.length < 22) fail('too short for a zip');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record');
  const count = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipError('The zip uses zip64, which is not supported; re-create it with fewer or smaller files.');
  if (cdOffset + cdSize > eocd) fail('the central directory lies outside the file');

  // Pass 1: the central directory, every declared size checked before anything is inflated.
  const entries: CentralEntry[] = [];
  let total = 0;
  let p = cdOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > eocd || view.getUint32(p, true) !== 0x02014b50) fail(`central directory entry ${n + 1} is damaged`);
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    const csize = view.getUint32(p + 20, true);
    const usize = view.getUint32(p + 24, true);
    const nlen = view.getUint16(p + 28, true);
    const elen = view.getUint16(p + 30, true);
    const clen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    if (p + 46 + nlen > eocd) fail(`central directory entry ${n + 1} is damaged`);
    const rawName = bytes.subarray(p + 46, p + 46 + nlen);
    const decoded = decodeUtf8Strict(rawName);
    const name = 'text' in decoded ? decoded.text : String.fromCharCode(...rawName);
    p += 46 + nlen + elen + clen;
    if (flags & 1) throw new ZipError(`Zip entry ${JSON.stringify(name)} is encrypted; re-create the zip without a password.`);
    if (method !== 0 && method !== 8) throw new ZipError(`Zip entry ${JSON.stringify(name)} uses compression method ${method}; re-create the zip with "store" or "deflate".`);
    if (csize === 0xffffffff || usize === 0xffffffff || local === 0xffffffff) throw new ZipError('The zip uses zip64, which is not supported; re-create it with fewer or smaller files.');
    if (method === 0 && usize !== csize) fail(`the stored entry ${JSON.stringify(name)} declares ${usize} bytes but holds ${csize}`);
    const entryCap = typeof maxEntryBytes === 'function' ? maxEntryBytes(name, csize) : maxEntryBytes;
    if (usize > entryCap) {
      throw new ZipError(
        `Zip entry ${JSON.stringify(name)} would unpack to ${formatBytes(usize)}, more than the ${formatBytes(entryCap)} this studio reads per file; nothing was unpacked. Split the data into smaller files (e.g. export fewer pairs at a time), or check that this is the file you meant.`,
      );
    }
    total += usize;
    if (total > maxTotalBytes) {
      throw new ZipError(
        `The zip would unpack to more than ${formatBytes(maxTotalBytes)} in all (at entry ${n + 1} of ${count}), more than this studio reads at once; nothing was unpacked. Split it into smaller zips, or check that this is the file you meant.`,
      );
    }
    entries.push({ name, rawName, method, crc, csize, usize, local });
  }

  // Pass 2: the data, each entry into a buffer of exactly its declared size.
  const files = new Map<string, Uint8Array>();
  for (const { name, rawName, method, crc, csize, usize, local } of entries) {
    if (local + 30 > cdOffset || view.getUint32(local, true) !== 0x04034b50) fail(`the local header of ${JSON.stringify(name)} is missing`);
    const localNameLength = view.getUint16(local + 26, true);
    const start = local + 30 + localNameLength + view.getUint16(local + 28, true);
    if (localNameLength !== rawName.length || !bytesEqual(bytes.subarray(local + 30, local + 30 + rawName.length), rawName)) fail(`the local header of ${JSON.stringify(name)} names another file`);
    if (start + csize > cdOffset) fail(`the data of ${JSON.stringify(name)} runs past its end`);
    const body = bytes.subarray(start, start + csize);
    let data: Uint8Array;
    if (method === 0) data = body.slice();
    else {
      try {
        // With `out`, fflate writes at most out.length bytes: data past the declared size is dropped (and fails the CRC).
        data = inflateSync(body, { out: new Uint8Array(usize) });
      } catch (e) {
        throw new ZipError(`Zip entry ${JSON.stringify(name)} does not decompress (${(e as Error).message}); the file is damaged. Export it again.`, { cause: e });
      }
    }
    if (data.length !== usize || crc32(data) !== crc) fail(`zip entry ${JSON.stringify(name)} fails its CRC-32 check`);
    if (name.endsWith('/')) continue;
    if (files.has(name)) fail(`the zip holds ${JSON.stringify(name)} twice`);
    files.set(name, data);
  }
  return files;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
