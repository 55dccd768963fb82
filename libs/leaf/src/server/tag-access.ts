import type { ResolvedLeafOptions } from '../leaf.defaults.js';
import { Calendar, isPeriodKey, periodKey } from '../calendar.js';
import { periodRowParts } from '../period/period-names.js';
import { type LeafPeriod } from '../leaf.defaults.js';

type Period = Exclude<LeafPeriod, 'none'>;

/** A period row a client may reach: the period tag it belongs to, and that tag's period and configured step. */
export interface OwnedPeriodRow {
  readonly tag: string;
  readonly key: string;
  readonly period: Period;
  readonly step: number;
}

/**
 * Which `leaf_alloc` rows a client's `tags` reach, decided in one place for every route (the guard, the tag list,
 * row creation):
 * - a tag in the list, exactly as written (`'*'` reaches every row);
 * - a period row `<tag>:<key>` only when `<tag>` is in the list **and** the server's `LeafModule` configures it as
 *   a period tag of that period, and `<key>` is a real date of it: `invoice:20261201` for a daily `invoice`, never
 *   `order:2026` for a plain `order`, nor `invoice:20261399`.
 *
 * Tags are compared as JavaScript strings, code unit for code unit: `Payment` is not `payment`. What the database's
 * collation would match is refused later, by the exact lookup every tag route makes (`ExactTags`).
 */
export class TagAccess {
  private readonly periodTags: ReadonlyMap<string, { readonly period: Period; readonly step: number }>;
  private readonly calendar: Calendar;

  constructor(options: ResolvedLeafOptions) {
    const { bizTags } = options;
    this.periodTags = new Map(
      bizTags.flatMap(({ tag, period, step, gapless }) =>
        period === 'none' || gapless ? [] : [[tag, { period, step }] as const],
      ),
    );
    this.calendar = Calendar.of(options);
  }

  /** Whether `tags` (null: every tag) reaches the row `bizTag`. */
  allows(tags: ReadonlySet<string> | null, bizTag: string): boolean {
    if (tags === null || tags.has(bizTag)) return true;
    const row = this.periodRow(bizTag);
    return row !== undefined && tags.has(row.tag);
  }

  /** `bizTag` as a row of a period tag the server configures, with a real date of its period; else undefined. */
  periodRow(bizTag: string): OwnedPeriodRow | undefined {
    const parts = periodRowParts(bizTag);
    const spec = parts && this.periodTags.get(parts.tag);
    if (parts === undefined || spec === undefined || !isPeriodKey(parts.key, spec.period)) return undefined;
    return { tag: parts.tag, key: parts.key, ...spec };
  }

  /**
   * Why a client that is not an admin may not create the row `bizTag` with `step`, or undefined when it may: only
   * the rows of its own period tags, for the current or the next period (the server's clock and `timeZone`), with
   * the step the server configures for the tag. So a token can create two rows per period tag, never a flood.
   */
  creationProblem(tags: ReadonlySet<string> | null, bizTag: string, step: number): string | undefined {
    const row = this.periodRow(bizTag);
    if (row === undefined) {
      const parts = periodRowParts(bizTag);
      const spec = parts && this.periodTags.get(parts.tag);
      return spec === undefined
        ? `"${bizTag}" is not a row of a period tag this server configures (a client that is not an admin may only ` +
            'create the rows of its own period tags, listed with their period in the bizTags of the server)'
        : `"${bizTag}" is not a row of "${parts!.tag}": its rows are named "${parts!.tag}:<${keyShape(spec.period)}>" ` +
            'with a real date';
    }
    if (tags !== null && !tags.has(row.tag)) return `"${bizTag}" is a row of "${row.tag}", which is not this client's`;
    const now = this.calendar.clock();
    const current = periodKey(this.calendar.keyAt(now), row.period);
    const next = periodKey(this.calendar.keyAt(this.calendar.periodEnd(now, row.period)), row.period);
    if (row.key !== current && row.key !== next) {
      return (
        `"${bizTag}" is not the current (${current}) or next (${next}) ${row.period} of "${row.tag}" on this ` +
        "server's clock; other periods' rows are created by an admin"
      );
    }
    if (step !== row.step) {
      return (
        `"${row.tag}" has step ${row.step} in the bizTags of this server, and its rows are created with it, not ` +
        `${step}: configure the client's "${row.tag}" with step ${row.step}, or have an admin create the row`
      );
    }
    return undefined;
  }
}

function keyShape(period: Period): string {
  return period === 'day' ? 'yyyyMMdd' : period === 'month' ? 'yyyyMM' : 'yyyy';
}
