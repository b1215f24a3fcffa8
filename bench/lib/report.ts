import { cpus, totalmem } from 'node:os';

export interface Row {
  benchmark: string;
  measure: string;
  lodestone: string;
  baseline?: string;
  ratio?: string;
  target?: string;
  /** undefined when the row has no target. */
  met?: boolean;
}

export interface BenchResult {
  name: string;
  rows: Row[];
  details?: unknown;
}

export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** The middle value; with an even count, the mean of the two middle ones. */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return Number.isInteger(mid) ? ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2 : (sorted[Math.floor(mid)] ?? Number.NaN);
}
export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

/** A Markdown table of rows. */
export function table(rows: Row[]): string {
  const head = '| benchmark | measure | Lodestone | baseline | ratio | target | met |\n|---|---|---|---|---|---|---|';
  const body = rows
    .map((r) => `| ${r.benchmark} | ${r.measure} | ${r.lodestone} | ${r.baseline ?? '—'} | ${r.ratio ?? '—'} | ${r.target ?? '—'} | ${r.met === undefined ? '—' : r.met ? 'yes' : '**no**'} |`)
    .join('\n');
  return `${head}\n${body}`;
}
