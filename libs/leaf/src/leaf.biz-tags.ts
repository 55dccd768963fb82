import { describeValue } from './errors/describe-value.js';
import { InvalidLeafOptionsError } from './errors/invalid-leaf-options.error.js';
import type { ResolvedBizTag, ResolvedLeafOptions } from './leaf.defaults.js';
import {
  bizTagProblem,
  descriptionProblem,
  flagOption,
  fractionOption,
  integerOption,
  MAX_BIZ_TAG_LENGTH,
  unknownKeyProblem,
} from './leaf.options-validation.js';
import { CodeFormat } from './codes/code-format.js';
import { periodOwner, periodRowSuffixLength } from './period/period-names.js';
import { PERIODS, type LeafPeriod } from './leaf.defaults.js';

/** A biz tag to serve, with the step and description its `leaf_alloc` row is created with if missing. */
export interface LeafBizTagOptions {
  tag: string;
  /**
   * Base step of this tag when its row is created, or its decimal digits. Default: the module's `step`.
   * Step 1 with `dynamicStep: false` turns batching off: one reservation per ID (see the README).
   */
  step?: number | string;
  /**
   * Fraction of this tag's segment still unused when its next segment is reserved in the background, in (0, 1],
   * or its decimal string. Default: the module's `threshold`.
   */
  threshold?: number | string;
  /** Written to `leaf_alloc.description` when the row is created. */
  description?: string;
  /** This tag's runway, ms, or its decimal digits. Default: the module's `runwayMs`. */
  runwayMs?: number | string;
  /**
   * How far a failover fence moves the `max_id` of this tag's rows ahead (its period rows included). Default: the
   * module's `failoverSkip`. A small one keeps business numbers small, at the risk of what the lost window held.
   */
  failoverSkip?: number | string;
  /**
   * Restart the sequence at 1 every day, month or year (in the module's `timeZone`): the tag then keeps one
   * `leaf_alloc` row per period, `<tag>:<yyyyMMdd>`, `<tag>:<yyyyMM>` or `<tag>:<yyyy>`, created on demand.
   * Default `'none'`: one row, named by the tag, as Leaf has it.
   */
  period?: LeafPeriod;
  /**
   * The template of `nextCode`: literal text and the tokens `{yyyy}`, `{yy}`, `{MM}`, `{dd}` (the date the code is
   * issued, in `timeZone`), `{seq}` and `{seq:N}` (the sequence, zero-padded to at least N digits, never cut).
   * Default `'{seq}'`. A period tag's format must show its period (`{yyyy}{MM}{dd}` for `'day'`).
   */
  format?: string;
  /**
   * Number this tag without gaps, inside the caller's transaction (`nextGapless`, `nextGaplessCode`), rather than from
   * segments: one counter row per period in `leaf_gapless`, locked until the caller's transaction ends, so a rollback
   * gives the number back. Takes `period`, `format` and `description`, not the segment options; never served by
   * `nextId`. About one number per transaction length per series: see docs/business-numbers.md, "Gapless or not".
   * Default false.
   */
  gapless?: boolean | string;
}

/** The module's values a `bizTags` entry falls back on. */
interface TagDefaults {
  readonly step: number;
  /** Whether the module's `step` was given. */
  readonly stepConfigured: boolean;
  readonly threshold: number;
  readonly maxStep: number;
  readonly runwayMs: number;
  readonly failoverSkip: number;
}

/** The keys of one `bizTags` entry. */
const ENTRY_KEYS = [
  'tag',
  'step',
  'description',
  'threshold',
  'runwayMs',
  'failoverSkip',
  'period',
  'format',
  'gapless',
];

/** The keys of an entry that shape segments, which a gapless series has none of. */
const SEGMENT_KEYS = ['step', 'threshold', 'runwayMs', 'failoverSkip'];

/** What an entry looks like, as the messages show it (a gapless one: { tag, gapless: true, period?, format? }). */
const ENTRY_SHAPE = '{ tag, step?, description?, threshold?, runwayMs?, period?, format? }';

export function resolveBizTags(
  bizTags: unknown,
  { step, stepConfigured, threshold, maxStep, runwayMs, failoverSkip }: TagDefaults,
  option = 'bizTags',
): ResolvedBizTag[] {
  if (!Array.isArray(bizTags) || bizTags.length === 0) {
    throw new InvalidLeafOptionsError(
      option,
      `expected a non-empty array of tags (strings or ${ENTRY_SHAPE}), got ${describeValue(bizTags)}`,
    );
  }
  const seen = new Set<string>();
  const resolved = bizTags.map((entry: unknown, index): ResolvedBizTag => {
    const where = `${option}[${index}]`;
    const spec = typeof entry === 'string' ? { tag: entry } : entry;
    if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
      throw new InvalidLeafOptionsError(where, `expected a string or ${ENTRY_SHAPE}, got ${describeValue(entry)}`);
    }
    // Before the tag: a misspelt "tga" is better reported as a typo than as a missing tag.
    for (const key of Object.keys(spec)) {
      if (!ENTRY_KEYS.includes(key)) {
        throw new InvalidLeafOptionsError(
          `${where}.${key}`,
          unknownKeyProblem(key, ENTRY_KEYS, 'a key of a bizTags entry', 'an entry has'),
        );
      }
    }
    const { tag, step: ownStep, threshold: ownThreshold, description, format } = spec as LeafBizTagOptions;
    const problem = bizTagProblem(tag);
    if (problem) throw new InvalidLeafOptionsError(`${where}.tag`, problem);
    if (seen.has(tag)) throw new InvalidLeafOptionsError(`${where}.tag`, `${describeValue(tag)} is listed twice`);
    seen.add(tag);
    const bad = descriptionProblem(description);
    if (bad !== undefined) throw new InvalidLeafOptionsError(`${where}.description`, bad);
    const gapless = gaplessOption(spec as LeafBizTagOptions, where);
    const period = periodOption((spec as LeafBizTagOptions).period, tag, `${where}.period`, !gapless);
    const template = format ?? '{seq}';
    CodeFormat.compile(template, tag, period, `${where}.format`);
    return {
      tag,
      step: ownStep === undefined ? step : integerOption(ownStep, `${where}.step`, 1, maxStep, step, ' (maxStep)'),
      stepConfigured: stepConfigured || ownStep !== undefined,
      description: description ?? null,
      threshold: ownThreshold === undefined ? threshold : fractionOption(ownThreshold, `${where}.threshold`),
      runwayMs:
        (spec as LeafBizTagOptions).runwayMs === undefined
          ? runwayMs
          : integerOption((spec as LeafBizTagOptions).runwayMs, `${where}.runwayMs`, 0, 24 * 3_600_000, runwayMs),
      failoverSkip:
        (spec as LeafBizTagOptions).failoverSkip === undefined
          ? failoverSkip
          : integerOption(
              (spec as LeafBizTagOptions).failoverSkip,
              `${where}.failoverSkip`,
              1,
              Number.MAX_SAFE_INTEGER,
              failoverSkip,
            ),
      period,
      format: template,
      ...(gapless && { gapless }),
    };
  });
  // A plain tag named like a period's row would share that row with the period tag.
  for (const [index, { tag }] of resolved.entries()) {
    const owner = periodOwner(resolved, tag);
    if (owner?.isRow) throw InvalidLeafOptionsError.periodRowTag(`${option}[${index}].tag`, tag, owner.tag);
  }
  return resolved;
}

/**
 * Whether an entry is a gapless series; such an entry has no segment keys, and a name MySQL's PAD SPACE collations
 * could not tell from another (`'inv'`, `'inv '`).
 */
function gaplessOption(spec: LeafBizTagOptions, where: string): boolean {
  if (spec.gapless === undefined || !flagOption(spec.gapless, `${where}.gapless`)) return false;
  const segmentKey = SEGMENT_KEYS.find((key) => key in spec);
  if (segmentKey !== undefined) {
    throw new InvalidLeafOptionsError(
      `${where}.${segmentKey}`,
      `"${spec.tag}" is gapless: its numbers are counted one at a time in leaf_gapless, inside the caller's ` +
        `transaction, never reserved in segments, so ${segmentKey} does not apply; remove it (a gapless entry takes ` +
        'tag, gapless, period, format and description)',
    );
  }
  if (spec.tag.trim() !== spec.tag) {
    throw new InvalidLeafOptionsError(
      `${where}.tag`,
      `${describeValue(spec.tag)}: a gapless series must not start or end with white space (MySQL and MariaDB ` +
        "compare 'a' and 'a ' as equal, so two series could share a counter); trim it",
    );
  }
  return true;
}

/** @param rowNamed whether the period's rows are named `<tag>:<period>` in `leaf_alloc` (a gapless tag's are not) */
function periodOption(period: unknown, tag: string, option: string, rowNamed: boolean): LeafPeriod {
  if (period === undefined) return 'none';
  if (!PERIODS.includes(period as LeafPeriod)) {
    throw new InvalidLeafOptionsError(
      option,
      `"${tag}": expected one of ${PERIODS.map((p) => `'${p}'`).join(', ')}, got ${describeValue(period)}`,
    );
  }
  const longest = MAX_BIZ_TAG_LENGTH - periodRowSuffixLength(period as LeafPeriod);
  if (rowNamed && [...tag].length > longest) {
    throw new InvalidLeafOptionsError(
      option,
      `"${tag}": its rows are named "${tag}:<${period}>", which leaves ${longest} characters for the tag ` +
        `(leaf_alloc.biz_tag is varchar(${MAX_BIZ_TAG_LENGTH})); shorten the tag`,
    );
  }
  return period as LeafPeriod;
}

/**
 * A feature module's `bizTags` (`LeafModule.forFeature`), checked as `forRoot`'s are and with the module's defaults,
 * added to the module's configured tags (before the generator starts: it serves them from startup on).
 * @throws InvalidLeafOptionsError for a bad entry, a tag configured already, or one named like another's period row
 */
export function addFeatureTags(options: ResolvedLeafOptions, entries: unknown): ResolvedBizTag[] {
  const { step, threshold, maxStep, runwayMs, failoverSkip } = options;
  const defaults = { step, stepConfigured: false, threshold, maxStep, runwayMs, failoverSkip };
  const added = resolveBizTags(entries, defaults, 'forFeature bizTags');
  const all = [...options.bizTags, ...added];
  for (const [index, { tag }] of added.entries()) {
    const where = `forFeature bizTags[${index}].tag`;
    if (options.bizTags.some((spec) => spec.tag === tag)) throw InvalidLeafOptionsError.configuredTwice(where, tag);
    const owner = periodOwner(all, tag);
    if (owner?.isRow) throw InvalidLeafOptionsError.periodRowTag(where, tag, owner.tag);
  }
  // The module's options object is shared by everything that reads the configured tags: they all see the feature's.
  (options.bizTags as ResolvedBizTag[]).push(...added);
  return added;
}
