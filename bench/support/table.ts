export type Align = 'left' | 'right';

export interface Column {
  readonly header: string;
  readonly align?: Align;
}

/** A plain-text table in Markdown pipe syntax, so it reads in a terminal and pastes into the README. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((col, i) => Math.max(col.header.length, ...rows.map((row) => row[i].length)));
  const cell = (text: string, i: number) =>
    columns[i].align === 'right' ? text.padStart(widths[i]) : text.padEnd(widths[i]);
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (columns[i].align === 'right' ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join('\n');
}

/** 16734210 -> "16,734,210". */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

export function formatMs(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(3) : 'n/a';
}

/** Two decimals; small values keep two significant digits (0.0031), so they do not read as 0.00. */
export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return 'n/a';
  return r !== 0 && Math.abs(r) < 0.1 ? String(Number(r.toPrecision(2))) : r.toFixed(2);
}

/** Latencies from sub-microsecond to seconds: three significant digits below 1 ms, else 3 decimals. */
export function formatLatency(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  return ms < 1 ? String(Number(ms.toPrecision(3))) : ms.toFixed(3);
}

/** 0.0123 -> "1.23%". */
export function formatPercent(share: number): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(share > 0 && share < 0.001 ? 4 : 2)}%` : 'n/a';
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** The lowest and highest of per-round figures: "1,200 – 1,350". */
export function formatSpread(values: readonly number[]): string {
  return `${formatCount(Math.min(...values))} – ${formatCount(Math.max(...values))}`;
}

/** A label column, then figures aligned right: the shape of most of the bench's tables. */
export function figureColumns(label: string, ...figures: string[]): Column[] {
  return [{ header: label }, ...figures.map((header) => ({ header, align: 'right' as const }))];
}
