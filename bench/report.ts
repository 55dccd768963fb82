import type { BenchCase } from './case.js';
import type { BenchSettings } from './settings.js';
import type { Machine } from './support/machine.js';
import { goalText, type Ratio } from './support/ratio.js';
import { formatRatio, renderTable } from './support/table.js';

/** The results of one run: each case that ran, with what it measured. */
export type Results = ReadonlyArray<{ readonly c: BenchCase; readonly result: unknown }>;

/** What a run prints: the machine, each case's tables, then every ratio with its goal and verdict. */
export function renderReport(
  results: Results,
  ratios: Record<string, Ratio>,
  machine: Machine,
  settings: BenchSettings,
): string {
  const parts: string[] = [
    '',
    `nest-leaf bench${settings.quick ? ' --quick (smoke run: figures are noise)' : ''} · node ${machine.node} · ${machine.cores} x ${machine.cpuModel} · ${machine.memory} · ${machine.os} · MariaDB ${machine.mariadb} · load ${machine.loadAverage.join(' ')}`,
  ];
  for (const { c, result } of results) parts.push('', c.table(result, settings));
  const list = Object.values(ratios);
  if (list.length > 0) {
    parts.push(
      '',
      'Ratios and goals (each the median of per-round ratios)',
      renderTable(
        [
          { header: 'ratio' },
          { header: 'value', align: 'right' },
          { header: 'per round', align: 'right' },
          { header: 'goal' },
          { header: 'verdict' },
        ],
        list.map((r) => [
          r.name,
          formatRatio(r.value),
          r.perRound.length > 1 ? r.perRound.map(formatRatio).join(' ') : '',
          `${goalText(r.goal)}${r.note ? ` (${r.note})` : ''}`,
          r.goal ? (r.goal.met ? 'met' : 'MISSED') : '',
        ]),
      ),
    );
    const missed = list.filter((r) => r.goal && !r.goal.met);
    parts.push(
      '',
      missed.length === 0
        ? 'Every goal met.'
        : `MISSED: ${missed.map((r) => r.name).join('; ')}. See docs/benchmarks.md.`,
    );
  }
  return parts.join('\n');
}

/** Every case's ratios, in the order the cases ran. */
export function collectRatios(results: Results, settings: BenchSettings): Record<string, Ratio> {
  return Object.assign({}, ...results.map(({ c, result }) => c.ratios(result, settings))) as Record<string, Ratio>;
}

/** The results JSON, rates rounded to whole units and milliseconds to 0.1 µs. */
export function resultsJson(
  results: Results,
  ratios: Record<string, Ratio>,
  settings: object,
  machine: Machine,
): string {
  const cases = results.flatMap(({ c, result }) => c.json(result, settings as BenchSettings));
  return JSON.stringify({ cases, ratios, settings, machine }, roundForJson, 2) + '\n';
}

/** Digits beyond whole rates and 0.1 µs are noise, not precision. */
function roundForJson(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'number' || Number.isInteger(value) || !Number.isFinite(value)) return value;
  return Math.abs(value) >= 1000 ? Math.round(value) : Number(value.toPrecision(6));
}
