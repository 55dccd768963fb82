import { describeValue } from './errors/describe-value.js';
import { InvalidLeafOptionsError } from './errors/invalid-leaf-options.error.js';
import { resolveBizTags, type LeafBizTagOptions } from './leaf.biz-tags.js';
import {
  clockOption,
  zoneOption,
  flagOption,
  fractionOption,
  integerOption,
  storeOption,
  unknownKeyProblem,
} from './leaf.options-validation.js';
import type { LeafStore } from './store/leaf-store.js';

import { LEAF_DEFAULTS, type ResolvedLeafOptions } from './leaf.defaults.js';

/**
 * Options of `LeafModule.forRoot()` and of the factory of `LeafModule.forRootAsync()`.
 *
 * Numbers may also be given as strings, as `ConfigService.get()` reads them from the environment: decimal digits
 * (`'500'`), or a decimal (`'0.2'`) for `threshold`. Flags take `'true'` and `'false'`. Nothing looser is read:
 * `'5e2'`, `' 500'`, `'0x10'` or `''` are refused at bootstrap.
 */
export interface LeafModuleOptions {
  /**
   * The tags reserved at startup (their rows are created when missing). Other tags found in `leaf_alloc`
   * are served too, loaded on first use.
   */
  bizTags: ReadonlyArray<string | LeafBizTagOptions>;
  /** Step of rows created for `bizTags` that do not set their own. Default 1000. */
  step?: number | string;
  /**
   * Fraction of the current segment still unused when the next segment is reserved in the background.
   * In (0, 1]. Default 0.2. A `bizTags` entry may set its own.
   */
  threshold?: number | string;
  /**
   * How long a tag must be able to go on serving from memory if the store stopped answering: it keeps this many
   * milliseconds of IDs ahead at its recent peak rate (a standby segment that alone covers it, within `maxStep`), so
   * a database failover shorter than this costs no call. A crash loses up to about twice this much traffic in IDs
   * (gaps, never duplicates). Needs `dynamicStep`. 0: the dual buffer alone. Default 60,000 (a minute). A `bizTags`
   * entry may set its own.
   */
  runwayMs?: number | string;
  /** Upper bound of the dynamic step, and of any single reservation. Default 1,000,000. */
  maxStep?: number | string;
  /**
   * Leaf's dynamic step: the next step doubles when the last segment lasted less than `segmentDurationMs`
   * and halves (never below the row's step) when it lasted more than twice that. Default true.
   */
  dynamicStep?: boolean | string;
  /** How long a segment should last under the current load, for the dynamic step. Default 15 minutes. */
  segmentDurationMs?: number | string;
  /**
   * How long a caller may wait for an in-flight reservation when no ID is left in memory, before
   * `LeafUnavailableError`. Default 3000 ms.
   */
  waitTimeoutMs?: number | string;
  /** Callers that may wait per tag at once; beyond it calls fail at once with `LeafUnavailableError`. Default 100,000. */
  maxWaiters?: number | string;
  /** Largest `count` accepted by `nextIds()`. Default 10,000. */
  maxBatchSize?: number | string;
  /**
   * Longest wait for any `leaf_alloc` statement. A reservation taking longer counts as failed: its connection
   * is destroyed, the retry runs on a fresh one, and its range, should it land later, is never used. Default 5000 ms.
   */
  reservationTimeoutMs?: number | string;
  /**
   * How long startup keeps retrying what fails for a while (a refused connection, a lock wait, a deadlock or a
   * Galera certification conflict, an ID server or Redis restarting): reading the tags, creating the missing rows
   * and the first reservations are tried again with backoff until then, and the boot fails with the last error
   * after it. What retrying cannot cure (a missing table or permission, a token refused) fails at once. Default
   * 10,000 ms; 0 tries once.
   */
  bootTimeoutMs?: number | string;
  /**
   * How far a failover fence moves `max_id` ahead, per row: the IDs the reservations lost with an asynchronous
   * replica's promotion may have handed out. Default 10 × `maxStep` (10,000,000): a reservation moves `max_id` by at
   * most `maxStep`, so it covers ten reservations of a tag in the lost window. A `bizTags` entry may set its own (a
   * business number that must stay small). See docs/reliability.md, "Failover".
   */
  failoverSkip?: number | string;
  /** First delay before retrying a failed reservation; doubles up to `retryMaxDelayMs`. Default 100 ms. */
  retryMinDelayMs?: number | string;
  /** Longest delay between retries of a failed reservation. Default 1000 ms. */
  retryMaxDelayMs?: number | string;
  /** How often the scheduler looks at every tag (rate-based prefetch, retries). Default 100 ms. */
  checkIntervalMs?: number | string;
  /** How often the list of tags in `leaf_alloc` (and their steps) is re-read; 0 turns it off. Default 60,000 ms. */
  tagRefreshIntervalMs?: number | string;
  /**
   * Lookups of tags met for the first time (in the table but not in `bizTags`) that may be pending at once; past it
   * such calls fail at once (`LeafUnavailableError`, `overloaded`), so a flood of made-up tags cannot starve the
   * tags being served. Four run at a time. Default 1000.
   */
  maxTagLookups?: number | string;
  /**
   * A tag found on first use that issues no ID for this long is closed, its unused IDs given back, until its next
   * call; 0 keeps such tags for good. Default 600,000 ms (10 minutes).
   */
  idleTagTimeoutMs?: number | string;
  /** Insert rows for `bizTags` that are missing from `leaf_alloc` at startup. Default true. */
  createMissingTags?: boolean | string;
  /**
   * On shutdown, hand the unused tail of the newest segment back to `leaf_alloc` (compare-and-set: only if
   * no node reserved since), so a rolling restart leaves no gap. Default true.
   */
  giveBackOnShutdown?: boolean | string;
  /**
   * Where segments are reserved: any `LeafStore` (the extension point; check yours with `describeLeafStoreContract`
   * from `nest-leaf/testing`). Default: `leaf_alloc` in the TypeORM DataSource named by `dataSource`, through
   * `TypeOrmLeafStore`. With a store of your own the app needs no TypeORM module or DataSource. LeafModule never
   * closes it: close its clients in your own `onApplicationShutdown`, after the generator gave its tails back.
   */
  store?: LeafStore;
  /**
   * The IANA time zone (`'Asia/Shanghai'`) in which periods start and codes show their date. Default `'UTC'`.
   * Every node serving a period tag must use the same one.
   */
  timeZone?: string;
  /**
   * Milliseconds since the epoch: the clock of periods and dates (not of timeouts). Default `Date.now`. Tests move
   * time with it; a node whose clock lags issues the old period's numbers for as long as it lags (never a duplicate).
   */
  clock?: () => number;
}

/** Options read by the module definition itself rather than by the generator. */
export interface LeafModuleExtras {
  /**
   * Name of the TypeORM DataSource holding `leaf_alloc`, for the default store. Default: the default DataSource.
   * Not allowed together with `store`.
   */
  dataSource?: string;
  /**
   * Register the module globally, so that every module of the app injects its `IdGenerator` (one generator per
   * app). Default true; false keeps it to the modules that import it.
   */
  isGlobal?: boolean;
}

/** The largest `failoverSkip`: IDs stay exact in a JS number, and 2^63-1 stays out of reach of any skip. */
const MAX_SKIP = Number.MAX_SAFE_INTEGER;

/** `leaf_alloc.step` is a signed int. */
const MAX_INT32 = 2_147_483_647;

/** The options a host may pass: the tag list, the options with defaults, and the extras forRoot also receives. */
const OPTION_KEYS = ['bizTags', ...Object.keys(LEAF_DEFAULTS), 'failoverSkip', 'store', 'dataSource', 'isGlobal'];

/**
 * Applies the defaults and checks every option; throws `InvalidLeafOptionsError` naming the first bad one.
 * Numbers may come as decimal strings and flags as "true"/"false", as `ConfigService.get()` gives them.
 */
export function resolveLeafOptions(options: LeafModuleOptions | undefined): ResolvedLeafOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidLeafOptionsError(
      'options',
      `expected an object with at least { bizTags }, got ${describeValue(options)}`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) {
      throw new InvalidLeafOptionsError(
        key,
        unknownKeyProblem(key, OPTION_KEYS, 'a LeafModule option', 'the options are'),
      );
    }
  }
  const maxStep = integer(options, 'maxStep', 1, MAX_INT32);
  const step = integer(options, 'step', 1, maxStep, ' (maxStep)');
  const threshold = fractionOption(options.threshold ?? LEAF_DEFAULTS.threshold, 'threshold');
  const runwayMs = integer(options, 'runwayMs', 0, 24 * 3_600_000);
  // A reservation moves max_id by maxStep at most: ten of them in a failover's lost window by default.
  const failoverSkip =
    options.failoverSkip === undefined
      ? 10 * maxStep
      : integerOption(options.failoverSkip, 'failoverSkip', 1, MAX_SKIP, 10 * maxStep);
  const resolved: ResolvedLeafOptions = {
    bizTags: resolveBizTags(options.bizTags, {
      step,
      stepConfigured: options.step !== undefined,
      threshold,
      maxStep,
      runwayMs,
      failoverSkip,
    }),
    failoverSkip,
    step,
    threshold,
    runwayMs,
    maxStep,
    dynamicStep: flag(options, 'dynamicStep'),
    segmentDurationMs: integer(options, 'segmentDurationMs', 1, 7 * 24 * 3_600_000),
    waitTimeoutMs: integer(options, 'waitTimeoutMs', 1, 600_000),
    maxWaiters: integer(options, 'maxWaiters', 1, 100_000_000),
    maxBatchSize: integer(options, 'maxBatchSize', 1, 10_000_000),
    reservationTimeoutMs: integer(options, 'reservationTimeoutMs', 1, 600_000),
    bootTimeoutMs: integer(options, 'bootTimeoutMs', 0, 3_600_000),
    retryMinDelayMs: integer(options, 'retryMinDelayMs', 1, 600_000),
    retryMaxDelayMs: integer(options, 'retryMaxDelayMs', 1, 600_000),
    checkIntervalMs: integer(options, 'checkIntervalMs', 1, 60_000),
    tagRefreshIntervalMs: integer(options, 'tagRefreshIntervalMs', 0, 24 * 3_600_000),
    maxTagLookups: integer(options, 'maxTagLookups', 1, 1_000_000),
    idleTagTimeoutMs: integer(options, 'idleTagTimeoutMs', 0, 7 * 24 * 3_600_000),
    createMissingTags: flag(options, 'createMissingTags'),
    giveBackOnShutdown: flag(options, 'giveBackOnShutdown'),
    timeZone: zoneOption(options.timeZone),
    clock: clockOption(options.clock),
  };
  if (resolved.retryMaxDelayMs < resolved.retryMinDelayMs) {
    throw new InvalidLeafOptionsError(
      'retryMaxDelayMs',
      `must be at least retryMinDelayMs (${resolved.retryMinDelayMs}), got ${resolved.retryMaxDelayMs}`,
    );
  }
  // Checked here rather than where the store is built, so forRoot refuses a wrong store before anything starts.
  if (storeOption(options.store) !== undefined) {
    const { dataSource } = options as LeafModuleExtras;
    if (dataSource !== undefined) throw InvalidLeafOptionsError.storeWithDataSource(dataSource);
  }
  return resolved;
}

type NumericKey = {
  [K in keyof typeof LEAF_DEFAULTS]: (typeof LEAF_DEFAULTS)[K] extends number ? K : never;
}[keyof typeof LEAF_DEFAULTS];

function integer(options: LeafModuleOptions, key: NumericKey, min: number, max: number, maxName = ''): number {
  return integerOption(options[key] ?? LEAF_DEFAULTS[key], key, min, max, LEAF_DEFAULTS[key], maxName);
}

function flag(options: LeafModuleOptions, key: 'dynamicStep' | 'createMissingTags' | 'giveBackOnShutdown'): boolean {
  return flagOption(options[key] ?? LEAF_DEFAULTS[key], key);
}
