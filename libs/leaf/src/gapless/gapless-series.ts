import { Calendar, periodKey, type CalendarDay } from '../calendar.js';
import { CodeFormat } from '../codes/code-format.js';
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import type { LeafPeriod, ResolvedLeafOptions } from '../leaf.defaults.js';
import { bizTagProblem, unknownKeyProblem } from '../leaf.options-validation.js';
import { type GaplessCall, type GaplessExecutor, isGaplessExecutor, notAManager } from './gapless-executor.js';
import { isTypeOrmManager, typeOrmExecutor } from './typeorm-executor.js';

/** A configured gapless series: its name, period and code format. */
export interface GaplessSeriesSpec {
  readonly tag: string;
  readonly period: LeafPeriod;
  readonly format: CodeFormat;
}

/**
 * The gapless series of one module's options, and the calendar that turns the database's instant into their period:
 * built once per options object, shared by the generator (`nextGapless`) and `LeafAdmin.auditGapless`.
 */
export class GaplessSeries {
  private static readonly built = new WeakMap<object, GaplessSeries>();
  private readonly specs = new Map<string, GaplessSeriesSpec>();
  private readonly segmentTags = new Set<string>();
  private readonly calendar: Calendar;

  static of(options: ResolvedLeafOptions): GaplessSeries {
    let series = GaplessSeries.built.get(options);
    if (series === undefined) GaplessSeries.built.set(options, (series = new GaplessSeries(options)));
    return series;
  }

  private constructor(options: ResolvedLeafOptions) {
    // Only the zone: a gapless period is read off the database's clock, never the node's.
    this.calendar = Calendar.of(options);
    for (const { tag, gapless, period, format } of options.bizTags) {
      if (!gapless) this.segmentTags.add(tag);
      else this.specs.set(tag, { tag, period, format: CodeFormat.compile(format, tag, period, 'format') });
    }
  }

  /**
   * The series `bizTag`.
   * @throws InvalidArgumentError for a malformed tag, or a segment tag
   * @throws UnknownBizTagError for a tag no `bizTags` entry configures as gapless (naming the nearest one)
   */
  get(bizTag: unknown, method: string): GaplessSeriesSpec {
    const problem = bizTagProblem(bizTag);
    if (problem !== undefined) throw new InvalidArgumentError('bizTag', `Invalid biz tag: ${problem}.`);
    const tag = bizTag as string;
    const spec = this.specs.get(tag);
    if (spec !== undefined) return spec;
    if (this.segmentTags.has(tag)) throw InvalidArgumentError.notGapless(tag);
    const known = [...this.specs.keys()];
    const which =
      known.length === 0
        ? 'is not configured, and no bizTags entry of this module is gapless'
        : unknownKeyProblem(tag, known, 'a gapless tag of this module', 'its gapless tags are');
    throw new UnknownBizTagError(
      tag,
      `${method}("${tag}"): "${tag}" ${which}. A gapless series is configured in LeafModule's bizTags, as ` +
        `{ tag: '${tag}', gapless: true, period?, format? }; its counter rows are created on demand in leaf_gapless.`,
    );
  }

  /** The day an instant of the database's clock falls on, in the module's zone. */
  dayAt(instant: number): CalendarDay {
    const key = this.calendar.keyAt(instant);
    return { key, yyyy: key.slice(0, 4), MM: key.slice(4, 6), dd: key.slice(6, 8), end: 0 };
  }

  /** The period of `spec` that `day` is in, as `leaf_gapless.period` holds it: `''` for a series without one. */
  periodOf(spec: GaplessSeriesSpec, day: CalendarDay): string {
    return spec.period === 'none' ? '' : periodKey(day.key, spec.period);
  }
}

/** The executor of `call.manager`: one of the shape, or a TypeORM `EntityManager`. */
export async function gaplessExecutorOf(
  manager: GaplessCall['manager'] | undefined,
  method: string,
  bizTag: string,
): Promise<GaplessExecutor> {
  if (isGaplessExecutor(manager)) return manager;
  if (isTypeOrmManager(manager)) return typeOrmExecutor(manager, method);
  throw notAManager(method, bizTag, manager);
}
