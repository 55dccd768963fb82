import { InvalidLeafOptionsError } from './errors/invalid-leaf-options.error.js';

/** A biz tag to serve, with the step and description its `leaf_alloc` row is created with if missing. */
export interface LeafBizTagOptions {
  tag: string;
  /** Base step of this tag when its row is created. Default: the module's `step`. */
  step?: number;
  /** Written to `leaf_alloc.description` when the row is created. */
  description?: string;
}

/** Options of `LeafModule.forRoot()` and of the factory of `LeafModule.forRootAsync()`. */
export interface LeafModuleOptions {
  /**
   * The tags reserved at startup (their rows are created when missing). Other tags found in `leaf_alloc`
   * are served too, loaded on first use.
   */
  bizTags: ReadonlyArray<string | LeafBizTagOptions>;
  /** Step of rows created for `bizTags` that do not set their own. Default 1000. */
  step?: number;
  /**
   * Fraction of the current segment still unused when the next segment is reserved in the background.
   * In (0, 1]. Default 0.2.
   */
  threshold?: number;
  /** Upper bound of the dynamic step, and of any single reservation. Default 1,000,000. */
  maxStep?: number;
  /**
   * Leaf's dynamic step: the next step doubles when the last segment lasted less than `segmentDurationMs`
   * and halves (never below the row's step) when it lasted more than twice that. Default true.
   */
  dynamicStep?: boolean;
  /** How long a segment should last under the current load, for the dynamic step. Default 15 minutes. */
  segmentDurationMs?: number;
  /**
   * How long a caller may wait for an in-flight reservation when no ID is left in memory, before
   * `LeafUnavailableError`. Default 3000 ms.
   */
  waitTimeoutMs?: number;
  /** Callers that may wait per tag at once; beyond it calls fail at once with `LeafUnavailableError`. Default 100,000. */
  maxWaiters?: number;
  /** Largest `count` accepted by `nextIds()`. Default 10,000. */
  maxBatchSize?: number;
  /**
   * Longest wait for any `leaf_alloc` statement. A reservation taking longer counts as failed: its connection
   * is destroyed, the retry runs on a fresh one, and its range, should it land later, is never used. Default 5000 ms.
   */
  reservationTimeoutMs?: number;
  /** First delay before retrying a failed reservation; doubles up to `retryMaxDelayMs`. Default 100 ms. */
  retryMinDelayMs?: number;
  /** Longest delay between retries of a failed reservation. Default 1000 ms. */
  retryMaxDelayMs?: number;
  /** How often the scheduler looks at every tag (rate-based prefetch, retries). Default 100 ms. */
  checkIntervalMs?: number;
  /** How often the list of tags in `leaf_alloc` (and their steps) is re-read; 0 turns it off. Default 60,000 ms. */
  tagRefreshIntervalMs?: number;
  /** Insert rows for `bizTags` that are missing from `leaf_alloc` at startup. Default true. */
  createMissingTags?: boolean;
  /**
   * On shutdown, hand the unused tail of the newest segment back to `leaf_alloc` (compare-and-set: only if
   * no node reserved since), so a rolling restart leaves no gap. Default true.
   */
  giveBackOnShutdown?: boolean;
}

/** Options read by the module definition itself rather than by the generator. */
export interface LeafModuleExtras {
  /** Name of the TypeORM DataSource holding `leaf_alloc`. Default: the default DataSource. */
  dataSource?: string;
  /** Register the module globally. Default false. */
  isGlobal?: boolean;
}

/** A configured tag after validation. */
export interface ResolvedBizTag {
  readonly tag: string;
  readonly step: number;
  readonly description: string | null;
}

/** Options after defaults and validation: what the rest of the library reads. */
export interface ResolvedLeafOptions {
  readonly bizTags: readonly ResolvedBizTag[];
  readonly step: number;
  readonly threshold: number;
  readonly maxStep: number;
  readonly dynamicStep: boolean;
  readonly segmentDurationMs: number;
  readonly waitTimeoutMs: number;
  readonly maxWaiters: number;
  readonly maxBatchSize: number;
  readonly reservationTimeoutMs: number;
  readonly retryMinDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly checkIntervalMs: number;
  readonly tagRefreshIntervalMs: number;
  readonly createMissingTags: boolean;
  readonly giveBackOnShutdown: boolean;
}

export const LEAF_DEFAULTS = {
  step: 1000,
  threshold: 0.2,
  maxStep: 1_000_000,
  dynamicStep: true,
  segmentDurationMs: 15 * 60_000,
  waitTimeoutMs: 3000,
  maxWaiters: 100_000,
  maxBatchSize: 10_000,
  reservationTimeoutMs: 5000,
  retryMinDelayMs: 100,
  retryMaxDelayMs: 1000,
  checkIntervalMs: 100,
  tagRefreshIntervalMs: 60_000,
  createMissingTags: true,
  giveBackOnShutdown: true,
} as const satisfies Omit<ResolvedLeafOptions, 'bizTags'>;

/** `leaf_alloc.biz_tag` is varchar(128). */
export const MAX_BIZ_TAG_LENGTH = 128;
/** `leaf_alloc.step` is a signed int. */
const MAX_INT32 = 2_147_483_647;

/** Why a biz tag is unusable, or `undefined` when it is fine. Shared by option validation and `nextId`. */
export function bizTagProblem(tag: unknown): string | undefined {
  if (typeof tag !== 'string') return `a biz tag must be a string, got ${describeValue(tag)}`;
  if (tag.trim().length === 0) return 'a biz tag must not be empty or only white space';
  // varchar counts characters, not UTF-16 units: an emoji is one character but two units.
  if (tag.length > MAX_BIZ_TAG_LENGTH && codePoints(tag) > MAX_BIZ_TAG_LENGTH) {
    return `a biz tag has at most ${MAX_BIZ_TAG_LENGTH} characters (leaf_alloc.biz_tag is varchar(128)), got ${codePoints(tag)}`;
  }
  return undefined;
}

/** Why a `leaf_alloc.description` (varchar(256)) is unusable, or `undefined` when it is fine or absent. */
export function descriptionProblem(description: unknown): string | undefined {
  if (description === undefined || (typeof description === 'string' && description.length <= 256)) return undefined;
  return 'must be a string of at most 256 characters';
}

/** Keys that are not options with defaults: the tag list, and the module extras forRoot also receives. */
const MODULE_KEYS = new Set(['bizTags', 'dataSource', 'isGlobal']);

/** Applies the defaults and checks every option; throws `InvalidLeafOptionsError` naming the first bad one. */
export function resolveLeafOptions(options: LeafModuleOptions | undefined): ResolvedLeafOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidLeafOptionsError('options', `expected an object with at least { bizTags }, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!(key in LEAF_DEFAULTS) && !MODULE_KEYS.has(key)) {
      throw new InvalidLeafOptionsError(key, `is not a LeafModule option; the options are ${[...Object.keys(LEAF_DEFAULTS), 'bizTags'].join(', ')}`);
    }
  }
  const maxStep = integer(options, 'maxStep', 1, MAX_INT32);
  const step = integer(options, 'step', 1, maxStep, 'step', ' (maxStep)');
  const resolved: ResolvedLeafOptions = {
    bizTags: resolveBizTags(options.bizTags, step, maxStep),
    step,
    threshold: fraction(options, 'threshold'),
    maxStep,
    dynamicStep: flag(options, 'dynamicStep'),
    segmentDurationMs: integer(options, 'segmentDurationMs', 1, 7 * 24 * 3_600_000),
    waitTimeoutMs: integer(options, 'waitTimeoutMs', 1, 600_000),
    maxWaiters: integer(options, 'maxWaiters', 1, 100_000_000),
    maxBatchSize: integer(options, 'maxBatchSize', 1, 10_000_000),
    reservationTimeoutMs: integer(options, 'reservationTimeoutMs', 1, 600_000),
    retryMinDelayMs: integer(options, 'retryMinDelayMs', 1, 600_000),
    retryMaxDelayMs: integer(options, 'retryMaxDelayMs', 1, 600_000),
    checkIntervalMs: integer(options, 'checkIntervalMs', 1, 60_000),
    tagRefreshIntervalMs: integer(options, 'tagRefreshIntervalMs', 0, 24 * 3_600_000),
    createMissingTags: flag(options, 'createMissingTags'),
    giveBackOnShutdown: flag(options, 'giveBackOnShutdown'),
  };
  if (resolved.retryMaxDelayMs < resolved.retryMinDelayMs) {
    throw new InvalidLeafOptionsError(
      'retryMaxDelayMs',
      `must be at least retryMinDelayMs (${resolved.retryMinDelayMs}), got ${resolved.retryMaxDelayMs}`,
    );
  }
  return resolved;
}

function resolveBizTags(bizTags: unknown, step: number, maxStep: number): ResolvedBizTag[] {
  if (!Array.isArray(bizTags) || bizTags.length === 0) {
    throw new InvalidLeafOptionsError(
      'bizTags',
      `expected a non-empty array of tags (strings or { tag, step?, description? }), got ${describeValue(bizTags)}`,
    );
  }
  const seen = new Set<string>();
  return bizTags.map((entry: unknown, index) => {
    const where = `bizTags[${index}]`;
    const spec = typeof entry === 'string' ? { tag: entry } : entry;
    if (spec === null || typeof spec !== 'object') {
      throw new InvalidLeafOptionsError(where, `expected a string or { tag, step?, description? }, got ${describeValue(entry)}`);
    }
    const { tag, step: ownStep, description } = spec as LeafBizTagOptions;
    const problem = bizTagProblem(tag);
    if (problem) throw new InvalidLeafOptionsError(`${where}.tag`, problem);
    if (seen.has(tag)) throw new InvalidLeafOptionsError(`${where}.tag`, `"${tag}" is listed twice`);
    seen.add(tag);
    const bad = descriptionProblem(description);
    if (bad !== undefined) throw new InvalidLeafOptionsError(`${where}.description`, bad);
    return {
      tag,
      step: ownStep === undefined ? step : integer({ step: ownStep }, 'step', 1, maxStep, `${where}.step`, ' (maxStep)'),
      description: description ?? null,
    };
  });
}

type NumericOption = {
  [K in keyof typeof LEAF_DEFAULTS]: (typeof LEAF_DEFAULTS)[K] extends number ? K : never;
}[keyof typeof LEAF_DEFAULTS];

function integer(options: object, key: NumericOption, min: number, max: number, label: string = key, maxName = ''): number {
  const value = (options as Record<string, unknown>)[key] ?? LEAF_DEFAULTS[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidLeafOptionsError(label, `expected an integer from ${min} to ${max}${maxName}, got ${describeValue(value)}`);
  }
  return value;
}

function fraction(options: LeafModuleOptions, key: 'threshold'): number {
  const value = options[key] ?? LEAF_DEFAULTS[key];
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new InvalidLeafOptionsError(key, `expected a number greater than 0 and at most 1, got ${describeValue(value)}`);
  }
  return value;
}

function flag(options: LeafModuleOptions, key: 'dynamicStep' | 'createMissingTags' | 'giveBackOnShutdown'): boolean {
  const value = options[key] ?? LEAF_DEFAULTS[key];
  if (typeof value !== 'boolean') throw new InvalidLeafOptionsError(key, `expected true or false, got ${describeValue(value)}`);
  return value;
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** A value as a message shows it: strings quoted, bigints with their n, arrays and objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null || typeof value !== 'object') return String(value);
  return 'an object';
}
