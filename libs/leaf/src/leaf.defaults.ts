/** How often a period tag's sequence restarts: every day, month or year in the module's `timeZone`, or never. */
export type LeafPeriod = 'day' | 'month' | 'year' | 'none';

/** Every `LeafPeriod`, for checking one and for listing them (an OpenAPI enum, a select). */
export const PERIODS: readonly LeafPeriod[] = ['day', 'month', 'year', 'none'];

/**
 * A configured tag after validation. `LeafStore.createTags` receives these: a store reads `tag`, `step` and
 * `description` (the row to create); `threshold` is the generator's own.
 */
export interface ResolvedBizTag {
  readonly tag: string;
  /** The step the row is created with. */
  readonly step: number;
  /**
   * Whether the host chose the step (the entry's or the module's `step`) rather than leaving the default: only then
   * is a row whose step differs worth a warning.
   */
  readonly stepConfigured: boolean;
  /** Written to the row when it is created. */
  readonly description: string | null;
  /** Fraction of this tag's segment left when the next one is reserved: its own, or the module's `threshold`. */
  readonly threshold: number;
  /** How long its IDs in memory must last at its peak rate: its own `runwayMs`, or the module's. */
  readonly runwayMs: number;
  /** How far a failover fence moves its rows' `max_id` ahead: its own `failoverSkip`, or the module's. */
  readonly failoverSkip: number;
  /** How often its sequence restarts (one `leaf_alloc` row per period, `<tag>:<period>`); `'none'` for a plain tag. */
  readonly period: LeafPeriod;
  /** The template of its codes (`nextCode`): `'{seq}'` unless configured. */
  readonly format: string;
  /**
   * True for a gapless series (`{ gapless: true }`): numbered in `leaf_gapless` inside the caller's transaction
   * (`nextGapless`), never from segments. Such a tag has no `leaf_alloc` row; its segment fields are the module's.
   */
  readonly gapless?: boolean;
}

/** Options after defaults and validation: what the rest of the library reads. */
export interface ResolvedLeafOptions {
  readonly bizTags: readonly ResolvedBizTag[];
  /** How far a failover fence moves the `max_id` of a row no `bizTags` entry covers: `failoverSkip`, or 10 × maxStep. */
  readonly failoverSkip: number;
  readonly step: number;
  readonly threshold: number;
  readonly runwayMs: number;
  readonly maxStep: number;
  readonly dynamicStep: boolean;
  readonly segmentDurationMs: number;
  readonly waitTimeoutMs: number;
  readonly maxWaiters: number;
  readonly maxBatchSize: number;
  readonly reservationTimeoutMs: number;
  readonly bootTimeoutMs: number;
  readonly retryMinDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly checkIntervalMs: number;
  readonly tagRefreshIntervalMs: number;
  readonly maxTagLookups: number;
  readonly idleTagTimeoutMs: number;
  readonly createMissingTags: boolean;
  readonly giveBackOnShutdown: boolean;
  /** Canonical IANA name of the zone periods and dates are computed in. */
  readonly timeZone: string;
  /** Milliseconds since the epoch: the wall clock of periods and dates. */
  readonly clock: () => number;
}

/** What every option a host leaves out is set to. */
export const LEAF_DEFAULTS = {
  step: 1000,
  threshold: 0.2,
  runwayMs: 60_000,
  maxStep: 1_000_000,
  dynamicStep: true,
  segmentDurationMs: 15 * 60_000,
  waitTimeoutMs: 3000,
  maxWaiters: 100_000,
  maxBatchSize: 10_000,
  reservationTimeoutMs: 5000,
  bootTimeoutMs: 10_000,
  retryMinDelayMs: 100,
  retryMaxDelayMs: 1000,
  checkIntervalMs: 100,
  tagRefreshIntervalMs: 60_000,
  maxTagLookups: 1000,
  idleTagTimeoutMs: 600_000,
  createMissingTags: true,
  giveBackOnShutdown: true,
  timeZone: 'UTC',
  clock: Date.now,
} as const satisfies Omit<ResolvedLeafOptions, 'bizTags' | 'failoverSkip'>;
