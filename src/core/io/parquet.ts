/**
 * A small Apache Parquet writer (apache/parquet-format: README "File format", src/main/thrift/parquet.thrift): flat
 * schemas of required string, binary, double, int64 and boolean columns, PLAIN encoding, no compression, one data page
 * (v1) per column chunk, row groups of `rowGroupSize` rows, the footer in Thrift's compact protocol. Enough for the
 * studio's preference export in Pick-a-Pic v2's columns, which Hugging Face `datasets` (pyarrow) and diffusers'
 * Diffusion-DPO script read. Pure: no DOM.
 */
import { encodeUtf8 } from './utf8';
import { CompactWriter, CT, encodeStruct, type ThriftField, type ThriftValue } from './thriftCompact';

export type ParquetColumn =
  | { name: string; type: 'string'; values: readonly string[] }
  | { name: string; type: 'binary'; values: readonly Uint8Array[] }
  | { name: string; type: 'double'; values: readonly number[] }
  | { name: string; type: 'int64'; values: readonly (number | bigint)[] }
  | { name: string; type: 'boolean'; values: readonly boolean[] };

// parquet.thrift enums
const PHYSICAL = { boolean: 0, int64: 2, double: 5, string: 6, binary: 6 } as const; // Type
const REQUIRED = 0; // FieldRepetitionType
const UTF8 = 0; // ConvertedType
const PLAIN = 0; // Encoding
const UNCOMPRESSED = 0; // CompressionCodec
const DATA_PAGE = 0; // PageType
const RLE = 3;

const MAGIC = encodeUtf8('PAR1');

/** PLAIN-encoded values of rows [from, to) of a column. */
function plainValues(c: ParquetColumn, from: number, to: number): Uint8Array {
  const n = to - from;
  switch (c.type) {
    case 'boolean': {
      const out = new Uint8Array(Math.ceil(n / 8)); // bit-packed, least significant bit first
      for (let i = 0; i < n; i++) if (c.values[from + i]) out[i >> 3] |= 1 << (i & 7);
      return out;
    }
    case 'double': {
      const out = new DataView(new ArrayBuffer(8 * n));
      for (let i = 0; i < n; i++) out.setFloat64(8 * i, c.values[from + i], true);
      return new Uint8Array(out.buffer);
    }
    case 'int64': {
      const out = new DataView(new ArrayBuffer(8 * n));
      for (let i = 0; i < n; i++) out.setBigInt64(8 * i, BigInt(c.values[from + i]), true);
      return new Uint8Array(out.buffer);
    }
    case 'string':
    case 'binary': {
      const items = (c.type === 'string' ? c.values.slice(from, to).map((s) => encodeUtf8(s)) : c.values.slice(from, to)) as Uint8Array[];
      const out = new Uint8Array(items.reduce((s, b) => s + 4 + b.length, 0));
      const view = new DataView(out.buffer);
      let o = 0;
      for (const b of items) {
        view.setUint32(o, b.length, true); // 4-byte little-endian length, then the bytes
        out.set(b, o + 4);
        o += 4 + b.length;
      }
      return out;
    }
  }
}

function checkColumns(columns: readonly ParquetColumn[]): number {
  if (columns.length === 0) throw new Error('Parquet: a file needs at least one column');
  const rows = columns[0].values.length;
  const names = new Set<string>();
  for (const c of columns) {
    if (c.name === '' || names.has(c.name)) throw new Error(`Parquet: column names must be unique and non-empty, got ${JSON.stringify(c.name)}`);
    names.add(c.name);
    if (c.values.length !== rows) throw new Error(`Parquet: column ${c.name} has ${c.values.length} values, ${columns[0].name} has ${rows}`);
    if (c.type === 'double' && c.values.some((v) => typeof v !== 'number')) throw new Error(`Parquet: column ${c.name} holds a non-number`);
    if (c.type === 'int64' && c.values.some((v) => (typeof v === 'number' ? !Number.isSafeInteger(v) : typeof v !== 'bigint'))) throw new Error(`Parquet: column ${c.name} holds a value that is not a safe integer`);
    if (c.type === 'string' && c.values.some((v) => typeof v !== 'string')) throw new Error(`Parquet: column ${c.name} holds a non-string`);
    if (c.type === 'binary' && c.values.some((v) => !(v instanceof Uint8Array))) throw new Error(`Parquet: column ${c.name} holds something other than bytes`);
  }
  return rows;
}

const i32 = (v: number): ThriftValue => ({ i32: v });
const i64 = (v: number): ThriftValue => ({ i64: v });

/** The whole file: magic, row groups of column chunks, the footer (FileMetaData), its length, magic. */
export function encodeParquet(columns: readonly ParquetColumn[], opts: { createdBy?: string; metadata?: Record<string, string>; rowGroupSize?: number } = {}): Uint8Array {
  const rows = checkColumns(columns);
  const groupSize = opts.rowGroupSize ?? 1024;
  if (!Number.isInteger(groupSize) || groupSize < 1) throw new Error(`Parquet: rowGroupSize must be a positive integer, got ${groupSize}`);
  const parts: Uint8Array[] = [MAGIC];
  let offset = MAGIC.length;
  const rowGroups: ThriftValue[] = [];
  for (let from = 0; from < rows; from += groupSize) {
    const to = Math.min(rows, from + groupSize);
    const chunks: ThriftValue[] = [];
    let groupBytes = 0;
    for (const c of columns) {
      const data = plainValues(c, from, to);
      const header = encodeStruct([
        [1, i32(DATA_PAGE)],
        [2, i32(data.length)],
        [3, i32(data.length)],
        [5, { struct: [[1, i32(to - from)], [2, i32(PLAIN)], [3, i32(RLE)], [4, i32(RLE)]] }],
      ]);
      const pageOffset = offset;
      parts.push(header, data);
      const size = header.length + data.length;
      offset += size;
      groupBytes += size;
      const meta: ThriftField[] = [
        [1, i32(PHYSICAL[c.type])],
        [2, { list: { type: CT.I32, items: [i32(PLAIN)] } }],
        [3, { list: { type: CT.BINARY, items: [{ binary: c.name }] } }],
        [4, i32(UNCOMPRESSED)],
        [5, i64(to - from)],
        [6, i64(size)],
        [7, i64(size)],
        [9, i64(pageOffset)],
      ];
      chunks.push({ struct: [[2, i64(pageOffset)], [3, { struct: meta }]] });
    }
    rowGroups.push({ struct: [[1, { list: { type: CT.STRUCT, items: chunks } }], [2, i64(groupBytes)], [3, i64(to - from)]] });
  }
  const schema: ThriftValue[] = [
    { struct: [[4, { binary: 'schema' }], [5, i32(columns.length)]] },
    ...columns.map(
      (c): ThriftValue => ({
        struct: [
          [1, i32(PHYSICAL[c.type])],
          [3, i32(REQUIRED)],
          [4, { binary: c.name }],
          [6, c.type === 'string' ? i32(UTF8) : undefined],
          [10, c.type === 'string' ? { struct: [[1, { struct: [] }]] } : undefined], // LogicalType STRING
        ],
      }),
    ),
  ];
  const kv = Object.entries(opts.metadata ?? {}).map(([k, v]): ThriftValue => ({ struct: [[1, { binary: k }], [2, { binary: v }]] }));
  const w = new CompactWriter();
  w.struct([
    [1, i32(1)],
    [2, { list: { type: CT.STRUCT, items: schema } }],
    [3, i64(rows)],
    [4, { list: { type: CT.STRUCT, items: rowGroups } }],
    [5, kv.length ? { list: { type: CT.STRUCT, items: kv } } : undefined],
    [6, { binary: opts.createdBy ?? 'd3po-studio' }],
  ]);
  const footer = w.finish();
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, footer.length, true);
  parts.push(footer, len, MAGIC);
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
