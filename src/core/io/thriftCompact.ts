/**
 * A writer for Apache Thrift's compact protocol (apache/thrift doc/specs/thrift-compact-protocol.md), the encoding of
 * Parquet's page headers and file footer: field headers as (id delta << 4 | type), zigzag varints for i16/i32/i64,
 * length-prefixed binaries, list headers as (size << 4 | element type). Only what a Parquet writer needs.
 */
import { encodeUtf8 } from './utf8';

/** Compact-protocol type ids. */
export const CT = { TRUE: 1, FALSE: 2, I32: 5, I64: 6, BINARY: 8, LIST: 9, STRUCT: 12 } as const;

/** A struct field: id and value; `undefined` values are left out (optional fields). */
export type ThriftValue = { i32: number } | { i64: number | bigint } | { bool: boolean } | { binary: Uint8Array | string } | { struct: ThriftField[] } | { list: { type: number; items: ThriftValue[] } };
export type ThriftField = [id: number, value: ThriftValue | undefined];


export class CompactWriter {
  private chunks: number[] = [];
  private parts: Uint8Array[] = [];

  private flushBytes(): void {
    if (this.chunks.length) this.parts.push(Uint8Array.from(this.chunks));
    this.chunks = [];
  }

  byte(b: number): void {
    this.chunks.push(b & 0xff);
  }

  /** Unsigned LEB128 varint of a non-negative bigint. */
  varint(v: bigint): void {
    if (v < 0n) throw new Error(`varint: ${v} is negative`);
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      this.byte(b);
    } while (v > 0n);
  }

  /** Zigzag-encoded signed integer (i16, i32 and i64 alike). */
  zigzag(v: number | bigint): void {
    const b = BigInt(v);
    this.varint(b >= 0n ? b << 1n : (-b << 1n) - 1n);
  }

  bytes(b: Uint8Array): void {
    this.varint(BigInt(b.length));
    this.flushBytes();
    this.parts.push(b);
  }

  struct(fields: ThriftField[]): void {
    let last = 0;
    for (const [id, value] of fields) {
      if (value === undefined) continue;
      if (id <= last) throw new Error(`thrift: field ids must increase (${id} after ${last})`);
      const type = 'bool' in value ? (value.bool ? CT.TRUE : CT.FALSE) : typeOf(value);
      const delta = id - last;
      if (delta <= 15) this.byte((delta << 4) | type);
      else {
        this.byte(type);
        this.zigzag(id);
      }
      if (!('bool' in value)) this.value(value);
      last = id;
    }
    this.byte(0); // stop
  }

  value(v: ThriftValue): void {
    if ('i32' in v) {
      if (!Number.isInteger(v.i32) || v.i32 < -(2 ** 31) || v.i32 >= 2 ** 31) throw new Error(`thrift: ${v.i32} is not an i32`);
      this.zigzag(v.i32);
    } else if ('i64' in v) this.zigzag(v.i64);
    else if ('binary' in v) this.bytes(typeof v.binary === 'string' ? encodeUtf8(v.binary) : v.binary);
    else if ('struct' in v) this.struct(v.struct);
    else if ('list' in v) {
      const { type, items } = v.list;
      if (items.length < 15) this.byte((items.length << 4) | type);
      else {
        this.byte(0xf0 | type);
        this.varint(BigInt(items.length));
      }
      for (const item of items) {
        if ('bool' in item) this.byte(item.bool ? CT.TRUE : CT.FALSE);
        else this.value(item);
      }
    } else throw new Error('thrift: a bare boolean only exists as a struct field or list item');
  }

  finish(): Uint8Array {
    this.flushBytes();
    const n = this.parts.reduce((s, p) => s + p.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

function typeOf(v: ThriftValue): number {
  if ('i32' in v) return CT.I32;
  if ('i64' in v) return CT.I64;
  if ('binary' in v) return CT.BINARY;
  if ('struct' in v) return CT.STRUCT;
  if ('list' in v) return CT.LIST;
  return CT.TRUE;
}

/** Encodes one struct. */
export function encodeStruct(fields: ThriftField[]): Uint8Array {
  const w = new CompactWriter();
  w.struct(fields);
  return w.finish();
}
