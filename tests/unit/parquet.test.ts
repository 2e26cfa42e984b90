// The Parquet writer read back by an independent reader (hyparquet): every column type, multi-byte text, empty values, more than 15 columns and several row groups; the Pick-a-Pic export's columns and images; and the writer's refusals.
import { describe, expect, it } from 'vitest';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { encodeParquet, type ParquetColumn } from '../../src/core/io/parquet';
import { pairsToPickapicRows } from '../../src/core/preferences/pickapic';
import { rowsToParquet } from '../../src/core/preferences/pickapicParquet';

const buffer = (b: Uint8Array) => b.slice().buffer as ArrayBuffer;
const read = (b: Uint8Array) => parquetReadObjects({ file: buffer(b), utf8: false });

describe('encodeParquet', () => {
  it('writes required string, binary, double, int64 and boolean columns that another reader gets back exactly', async () => {
    const n = 11; // booleans span two bytes
    const columns: ParquetColumn[] = [
      { name: 'text', type: 'string', values: Array.from({ length: n }, (_, i) => (i === 3 ? '' : `caption ${i} — 😀 ünïcode`)) },
      { name: 'blob', type: 'binary', values: Array.from({ length: n }, (_, i) => Uint8Array.from({ length: i * 7 }, (_, j) => (i * 31 + j) & 255)) },
      { name: 'x', type: 'double', values: Array.from({ length: n }, (_, i) => (i - 5) / 3) },
      { name: 'k', type: 'int64', values: Array.from({ length: n }, (_, i) => (i === 0 ? 2 ** 40 + 1 : i === 1 ? -7 : i)) },
      { name: 'b', type: 'boolean', values: Array.from({ length: n }, (_, i) => i % 3 === 0) },
    ];
    const bytes = encodeParquet(columns, { rowGroupSize: 4, metadata: { origin: 'test' } });
    const text = new TextDecoder();
    expect(text.decode(bytes.slice(0, 4))).toBe('PAR1');
    expect(text.decode(bytes.slice(-4))).toBe('PAR1');
    const meta = parquetMetadata(buffer(bytes));
    expect(Number(meta.num_rows)).toBe(n);
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([4, 4, 3]);
    expect(meta.key_value_metadata).toEqual([{ key: 'origin', value: 'test' }]);
    expect(meta.created_by).toBe('d3po-studio');
    const schema = parquetSchema(meta);
    expect(schema.children.map((c) => [c.element.name, c.element.type, c.element.repetition_type])).toEqual([
      ['text', 'BYTE_ARRAY', 'REQUIRED'],
      ['blob', 'BYTE_ARRAY', 'REQUIRED'],
      ['x', 'DOUBLE', 'REQUIRED'],
      ['k', 'INT64', 'REQUIRED'],
      ['b', 'BOOLEAN', 'REQUIRED'],
    ]);
    expect(schema.children[0].element.converted_type).toBe('UTF8');
    const rows = await read(bytes);
    expect(rows).toHaveLength(n);
    rows.forEach((r, i) => {
      expect(r.text).toBe(columns[0].values[i]);
      expect(Array.from(r.blob as Uint8Array)).toEqual(Array.from(columns[1].values[i] as Uint8Array));
      expect(r.x).toBe(columns[2].values[i]);
      expect(r.k).toBe(BigInt(columns[3].values[i] as number));
      expect(r.b).toBe(columns[4].values[i]);
    });
  });

  it('writes the long list header form (more than 14 columns) and zero rows', async () => {
    const wide: ParquetColumn[] = Array.from({ length: 20 }, (_, c) => ({ name: `c${c}`, type: 'int64', values: [c, c * 10] }));
    const rows = await read(encodeParquet(wide));
    expect(rows[1]).toEqual(Object.fromEntries(wide.map((_, c) => [`c${c}`, BigInt(c * 10)])));
    const empty = encodeParquet([{ name: 'a', type: 'string', values: [] }]);
    expect(Number(parquetMetadata(buffer(empty)).num_rows)).toBe(0);
  });

  it('refuses columns it cannot write, saying which', () => {
    expect(() => encodeParquet([])).toThrow(/at least one column/);
    expect(() => encodeParquet([{ name: 'a', type: 'double', values: [1] }, { name: 'b', type: 'double', values: [1, 2] }])).toThrow(/column b has 2 values, a has 1/);
    expect(() => encodeParquet([{ name: 'a', type: 'double', values: [1] }, { name: 'a', type: 'double', values: [1] }])).toThrow(/unique/);
    expect(() => encodeParquet([{ name: 'k', type: 'int64', values: [0.5] }])).toThrow(/column k holds a value that is not a safe integer/);
    expect(() => encodeParquet([{ name: 's', type: 'string', values: [3 as unknown as string] }])).toThrow(/column s holds a non-string/);
    expect(() => encodeParquet([{ name: 'a', type: 'double', values: [1] }], { rowGroupSize: 0 })).toThrow(/rowGroupSize/);
  });
});

describe('rowsToParquet (Pick-a-Pic v2 columns)', () => {
  it('keeps every row, its caption, labels and JPEG bytes', async () => {
    const rgba = (v: number) => new Uint8Array(4 * 4 * 4).fill(v);
    const pairs = [
      { id: 'p1', prompt: 'red heart', modelId: 'm', loraVersion: null, images: [rgba(10), rgba(200)] as [Uint8Array, Uint8Array] },
      { id: 'p2', prompt: 'dog', modelId: 'm', loraVersion: 'step-3', images: [rgba(50), rgba(60)] as [Uint8Array, Uint8Array] },
    ];
    const labels = [
      { pairId: 'p1', vote: 1 as const, time: Date.UTC(2026, 11, 7) },
      { pairId: 'p2', vote: 'tie' as const, time: Date.UTC(2026, 11, 8) },
    ];
    const rows = pairsToPickapicRows(pairs, labels, { userId: 42 });
    const back = await read(rowsToParquet(rows));
    expect(back).toHaveLength(2);
    back.forEach((r, i) => {
      expect(r.caption).toBe(rows[i].caption);
      expect([r.label_0, r.label_1]).toEqual([rows[i].label_0, rows[i].label_1]);
      expect(r.best_image_uid).toBe(rows[i].best_image_uid);
      expect(r.user_id).toBe(42n);
      expect(Array.from(r.jpg_0 as Uint8Array)).toEqual(Array.from(rows[i].jpg_0));
      expect(Array.from(r.jpg_1 as Uint8Array)).toEqual(Array.from(rows[i].jpg_1));
      expect((r.jpg_0 as Uint8Array)[0]).toBe(0xff); // JPEG SOI marker
      expect(r.studio_vote).toBe(rows[i].studio_vote);
    });
    expect([back[0].label_0, back[1].label_0]).toEqual([0, 0.5]); // image 1 preferred; a tie
  });
});
