import { isPeriodKey } from '../calendar.js';
import type { ParsedCode } from '../codes/code-format.js';
import { describeValue } from '../errors/describe-value.js';
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import type { ResolvedLeafOptions } from '../leaf.defaults.js';
import type { GaplessManager } from './gapless-executor.js';
import { gaplessDialect } from './gapless-sql.js';
import { gaplessExecutorOf, GaplessSeries, type GaplessSeriesSpec } from './gapless-series.js';

/** What `LeafAdmin.auditGapless` checks: where the numbered rows are, and which period of the series. */
export interface GaplessAuditOptions {
  /** Where the table is: any EntityManager (`dataSource.manager`, or a transaction's), or a `GaplessExecutor`. */
  readonly manager: GaplessManager;
  /** The table holding the numbers (`invoices`, or `billing.invoices`): letters, digits and `_`. */
  readonly table: string;
  /** Its column holding them: the codes `nextGaplessCode` wrote, or the bare numbers (a series whose format is `{seq}`). */
  readonly column: string;
  /** The period to audit, as its key: `'2026'`, `'202612'`, `'20261231'`. Required for a series with a period. */
  readonly period?: string;
}

/** Numbers `from` … `to` (inclusive) that no row holds. */
export interface GaplessGap {
  readonly from: bigint;
  readonly to: bigint;
}

/** A number that several rows hold. */
export interface GaplessRepeat {
  readonly number: bigint;
  readonly rows: number;
}

/** How the rows of a series' period compare with its counter; `continuous` when they hold 1 … `issued`, once each. */
export interface GaplessAuditReport {
  readonly tag: string;
  /** The period audited; null for a series without one. */
  readonly period: string | null;
  /** The series' counter in `leaf_gapless`: the numbers handed out by committed transactions (0 when none yet). */
  readonly issued: bigint;
  /** Rows holding a number of this series and period. */
  readonly rows: number;
  /** Numbers from 1 to `issued` that no row holds (a row deleted, or a number taken without its row). */
  readonly gaps: readonly GaplessGap[];
  /** Numbers held by more than one row. */
  readonly repeats: readonly GaplessRepeat[];
  /** Numbers above `issued`: rows numbered by hand, or a counter set back. */
  readonly beyond: readonly bigint[];
  /** Values under the series' prefix that are no code of it (another format, extra leading zeros). */
  readonly unreadable: number;
  readonly continuous: boolean;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Checks a gapless series against the rows that hold its numbers: reads the series' counter, then the column (the
 * rows whose value starts like the series' codes), and lists what is missing, repeated or beyond. For a consistent
 * picture run it in a REPEATABLE READ transaction, or while no number of the series is being taken.
 */
export async function auditGapless(
  options: ResolvedLeafOptions,
  bizTag: string,
  { manager, table, column, period }: GaplessAuditOptions,
): Promise<GaplessAuditReport> {
  const spec = GaplessSeries.of(options).get(bizTag, 'auditGapless');
  const key = periodArgument(spec, period);
  const tableParts = identifiers(table, 'table', 2);
  identifiers(column, 'column', 1);
  const executor = await gaplessExecutorOf(manager, 'auditGapless', spec.tag);
  const dialect = gaplessDialect(executor.engine);
  const wait = options.waitTimeoutMs;
  const counter = (await executor.query(dialect.counterSql, [spec.tag, key], wait)).rows[0]?.value;
  const issued = counter === undefined || counter === null ? 0n : BigInt(String(counter));
  const prefix = codePrefix(spec, key);
  const quoted = dialect.quote(column);
  const sql =
    `SELECT ${quoted} AS v FROM ${tableParts.map((part) => dialect.quote(part)).join('.')}` +
    (prefix === '' ? '' : ` WHERE ${quoted} LIKE ${dialect.placeholder(1)} ESCAPE '!'`);
  const params = prefix === '' ? [] : [`${prefix.replace(/[!%_]/g, '!$&')}%`];
  const held = new Map<bigint, number>();
  let unreadable = 0;
  for (const { v } of (await executor.query(sql, params, wait)).rows) {
    const seq = seqOf(spec, key, String(v));
    if (seq === 'other-period') continue;
    if (seq === undefined) unreadable++;
    else held.set(seq, (held.get(seq) ?? 0) + 1);
  }
  const numbers = [...held.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const gaps: GaplessGap[] = [];
  let expected = 1n;
  for (const number of numbers) {
    if (number > issued) break;
    if (number > expected) gaps.push({ from: expected, to: number - 1n });
    expected = number + 1n;
  }
  if (expected <= issued) gaps.push({ from: expected, to: issued });
  const repeats = numbers.filter((n) => held.get(n)! > 1).map((number) => ({ number, rows: held.get(number)! }));
  const beyond = numbers.filter((n) => n > issued);
  return {
    tag: spec.tag,
    period: spec.period === 'none' ? null : key,
    issued,
    rows: [...held.values()].reduce((sum, count) => sum + count, 0),
    gaps,
    repeats,
    beyond,
    unreadable,
    continuous: gaps.length === 0 && repeats.length === 0 && beyond.length === 0,
  };
}

function periodArgument(spec: GaplessSeriesSpec, period: unknown): string {
  if (spec.period === 'none') {
    if (period === undefined || period === '') return '';
    throw new InvalidArgumentError('period', `"${spec.tag}" has no period: leave period out of auditGapless.`);
  }
  if (typeof period === 'string' && isPeriodKey(period, spec.period)) return period;
  const example = { day: '20261231', month: '202612', year: '2026' }[spec.period];
  throw new InvalidArgumentError(
    'period',
    `"${spec.tag}" restarts every ${spec.period}: auditGapless needs the ${spec.period} to check, as its key ` +
      `("${example}"), got ${describeValue(period)}.`,
  );
}

function identifiers(name: unknown, argument: 'table' | 'column', parts: number): string[] {
  const split = typeof name === 'string' ? name.split('.') : [];
  if (split.length >= 1 && split.length <= parts && split.every((part) => IDENTIFIER.test(part))) return split;
  throw new InvalidArgumentError(
    argument,
    `auditGapless: ${argument} must be a plain SQL name (letters, digits and _, up to 64 characters` +
      `${parts > 1 ? ', or schema.table' : ''}), got ${describeValue(name)}.`,
  );
}

/** What every code of the period starts with (`F2026-`), for a LIKE that skips the other rows of the table. */
function codePrefix(spec: GaplessSeriesSpec, key: string): string {
  // The period's first and last days (a series without one: any day), as the tokens would print them.
  const [first, last] =
    spec.period === 'none' ? ['19700101', '99991231'] : [key.padEnd(8, '01'), key + '1231'.slice(key.length - 4)];
  const a = spec.format.render(dayOf(first)).before;
  const b = spec.format.render(dayOf(last)).before;
  let length = 0;
  while (length < a.length && a[length] === b[length]) length++;
  return a.slice(0, length);
}

function dayOf(key: string) {
  return { key, yyyy: key.slice(0, 4), MM: key.slice(4, 6), dd: key.slice(6, 8), end: 0 };
}

/** The number a value holds if it is a code of this series and period; 'other-period' for another period's code. */
function seqOf(spec: GaplessSeriesSpec, key: string, value: string): bigint | undefined | 'other-period' {
  const fields: ParsedCode | undefined = spec.format.parse(value);
  if (fields === undefined || fields.seq < 1n) return undefined;
  const date = {
    yyyy:
      fields.yyyy ?? (fields.yy === undefined ? key.slice(0, 4) || '2000' : `${key.slice(0, 2) || '20'}${fields.yy}`),
    MM: fields.MM ?? (key.slice(4, 6) || '01'),
    dd: fields.dd ?? (key.slice(6, 8) || '01'),
  };
  const shown = date.yyyy + date.MM + date.dd;
  if (spec.period !== 'none' && !shown.startsWith(key)) return 'other-period';
  // Only the spelling nextGaplessCode writes: no extra leading zeros.
  return spec.format.render(dayOf(shown)).code(fields.seq) === value ? fields.seq : undefined;
}
