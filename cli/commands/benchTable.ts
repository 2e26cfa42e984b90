// The bench's result rows and their markdown table (one per backend).
import type { BackendInfo } from '../../src/platform/node';

export interface BenchRow {
  key: string;
  label: string;
  value: number | null; // null when skipped or unavailable
  unit: string;
  detail: string;
  extra?: Record<string, number>;
}

export interface BackendBench {
  backend: BackendInfo;
  rows: BenchRow[];
}

export function fmtValue(r: BenchRow): string {
  if (r.value === null) return 'n/a';
  const v = Math.abs(r.value) >= 100 ? r.value.toFixed(0) : Math.abs(r.value) >= 10 ? r.value.toFixed(1) : r.value.toFixed(2);
  return r.unit === '×' ? `${v}×` : `${v} ${r.unit}`.trim();
}

export function markdownTable(b: BackendBench): string {
  const head = `### ${b.backend.name} (threads ${b.backend.threads}${b.backend.simd ? ', SIMD' : ''})${b.backend.reason ? ` — ${b.backend.reason}` : ''}`;
  const lines = ['| benchmark | result | detail |', '|---|---:|---|', ...b.rows.map((r) => `| ${r.label} | ${fmtValue(r)} | ${r.detail} |`)];
  return [head, '', ...lines].join('\n');
}
