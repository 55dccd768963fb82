import type { ResolvedBizTag } from '../leaf.options.js';

/** A row of `leaf_alloc` as the generator needs it. */
export interface LeafAllocRow {
  readonly bizTag: string;
  /** The row's base step: the floor of the dynamic step. */
  readonly step: number;
}

/** The IDs `[start, end)` now owned by this process. */
export interface ReservedRange {
  readonly start: bigint;
  readonly end: bigint;
}

/**
 * Persistence of `leaf_alloc`. Every call takes an optional `AbortSignal`: the generator passes one that fires at
 * `reservationTimeoutMs`, and a store honours it by abandoning the statement and freeing what it holds (a
 * connection that stopped answering must not go back to a pool). The generator stops waiting at that moment either
 * way, and never uses a range that lands afterwards.
 */
export interface LeafStore {
  /** The engine, for logs: `mysql`, `postgres`, `sqlite`, … */
  readonly engine: string;
  /** Every row, to learn tags and their steps. Throws `LeafStoreError` when the table cannot be read. */
  listTags(signal?: AbortSignal): Promise<LeafAllocRow[]>;
  /**
   * The row of exactly `bizTag`, or undefined when there is none. Where the table compares tags loosely (a case-
   * or accent-insensitive collation), a row of another spelling is not the tag's: throws
   * `UnknownBizTagError.collationMatch` rather than return it. The one place tags are compared exactly.
   */
  findTag(bizTag: string, signal?: AbortSignal): Promise<LeafAllocRow | undefined>;
  /** Inserts the rows that do not exist (`max_id` 1); a row another node inserted first is left alone. */
  createTags(tags: readonly ResolvedBizTag[], signal?: AbortSignal): Promise<void>;
  /**
   * Atomically moves `max_id` from M to M + step and returns `[M, M + step)`, in one round trip.
   * Throws `UnknownBizTagError` when the row is missing and `IdOverflowError` when M + step would pass 2^63-1.
   */
  reserve(bizTag: string, step: number, signal?: AbortSignal): Promise<ReservedRange>;
  /**
   * Returns the unused tail `[firstUnused, end)` of this node's newest segment, by setting `max_id` back to
   * `firstUnused` only if it is still `end` (no node reserved since). Resolves to whether it did.
   */
  giveBack(bizTag: string, firstUnused: bigint, end: bigint, signal?: AbortSignal): Promise<boolean>;
  /** Inserts one row; resolves to false, changing nothing, when the tag already has one. */
  insertTag(row: NewLeafAllocRow, signal?: AbortSignal): Promise<boolean>;
  /** Sets a row's base step; resolves to false when the tag has no row. */
  setStep(bizTag: string, step: number, signal?: AbortSignal): Promise<boolean>;
}

/** A row to insert: `max_id` is where the tag's first segment starts. */
export interface NewLeafAllocRow {
  readonly bizTag: string;
  readonly maxId: bigint;
  readonly step: number;
  readonly description: string | null;
}

/** The largest signed BIGINT: `max_id` never goes past it. */
export const MAX_ID = 9_223_372_036_854_775_807n;
