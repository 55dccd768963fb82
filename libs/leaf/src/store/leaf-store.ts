/** A row of `leaf_alloc` as the generator needs it. */
export interface LeafAllocRow {
  /** The tag, exactly as stored. */
  readonly bizTag: string;
  /** The row's base step: the floor of the dynamic step. A positive integer; the generator refuses any other. */
  readonly step: number;
}

/** The IDs `[start, end)` now owned by this process: `start` included, `end` excluded. */
export interface ReservedRange {
  readonly start: bigint;
  readonly end: bigint;
}

/**
 * Where segments are reserved: the extension point of nest-leaf. `TypeOrmLeafStore` keeps Leaf's `leaf_alloc` table
 * in a TypeORM DataSource; any other backend implements this interface and is passed as `LeafModule`'s `store`
 * option. Check an implementation with `describeLeafStoreContract` from `nest-leaf/testing`.
 *
 * **The contract.** A tag's row holds `max_id` (M), the first ID no node owns yet. `reserve(tag, S)` atomically
 * moves it to M + S and returns `[M, M + S)`: the caller owns M … M+S-1, so a fresh row (`max_id` 1) issues 1 first,
 * as Leaf's Java nodes do on the same table. Reservations of every process are serialized by the backend, so their
 * ranges never overlap. `max_id` is a bigint up to 2^63-1 (`MAX_ID`) and must never travel through a JS `number`.
 *
 * **Errors.** `reserve` throws `UnknownBizTagError` when the tag has no row and `IdOverflowError` (with the row's
 * `maxId` and the `step` asked) when M + S would pass 2^63-1, in both cases changing nothing. A backend that cannot
 * be used as it is (a missing table, a missing permission) throws `LeafStoreError` with how to fix it; both are
 * reported to callers at once. Anything else (a lost connection, a timeout) is taken as transient and retried with
 * backoff.
 *
 * **Signals.** Every method takes an optional `AbortSignal`: the generator passes one that fires at
 * `reservationTimeoutMs`. A store honours it by rejecting at once, changing nothing, when it is already aborted, and
 * by abandoning the call when it fires in flight and freeing what it holds (a connection that stopped answering must
 * not go back to a pool). An abandoned write may still take effect in the backend (the statement had been sent):
 * that is safe, as the generator stops waiting when the signal fires and never uses a range that lands afterwards;
 * the range is lost, never issued twice.
 *
 * **Tags.** Tags are compared exactly: "order", "ORDER" and "order " are three tags. See `findTag`.
 */
export interface LeafStore {
  /** The engine, for logs: `mysql`, `postgres`, `sqlite`, `redis`, … */
  readonly engine: string;
  /**
   * Where the rows live, as messages name it: `leaf_alloc in the mysql database "shop"`, `Redis at 10.0.0.5:6379
   * (keys leaf_alloc:*)`, `the ID server at http://ids:3000`. Optional: without it, messages name the engine.
   */
  readonly location?: string;
  /** Every row, to learn tags and their steps. Throws `LeafStoreError` when the table cannot be read. */
  listTags(signal?: AbortSignal): Promise<LeafAllocRow[]>;
  /**
   * The row of exactly `bizTag`, or undefined when there is none. Where the table compares tags loosely (a case-
   * or accent-insensitive collation), a row of another spelling is not the tag's: throws
   * `UnknownBizTagError.collationMatch` (its `similar` names that row) rather than return it. The one place tags are
   * compared exactly: the generator looks a tag up here before it ever reserves from it.
   */
  findTag(bizTag: string, signal?: AbortSignal): Promise<LeafAllocRow | undefined>;
  /**
   * Inserts the rows that do not exist, at `max_id` 1 with the entry's `step` and `description`; a row that exists
   * (another node may be inserting it at this very moment) is left alone, and that is no error. Nodes booting together
   * call it at once for the same tags.
   */
  createTags(tags: readonly NewTagRow[], signal?: AbortSignal): Promise<void>;
  /**
   * Atomically moves `max_id` from M to M + step and returns `[M, M + step)`, ideally in one round trip.
   * Throws `UnknownBizTagError` when the row is missing and `IdOverflowError` when M + step would pass 2^63-1, in
   * both cases leaving the row as it was (so a smaller step can still take what is left below 2^63-1).
   */
  reserve(bizTag: string, step: number, signal?: AbortSignal): Promise<ReservedRange>;
  /**
   * Returns the unused tail `[firstUnused, end)` of this node's newest segment, by setting `max_id` back to
   * `firstUnused` only if it is still `end` (no node reserved since): a compare-and-set. Resolves to whether it did;
   * false, changing nothing, when `max_id` moved on or the tag has no row.
   */
  giveBack(bizTag: string, firstUnused: bigint, end: bigint, signal?: AbortSignal): Promise<boolean>;
  /** Inserts one row; resolves to false, changing nothing, when the tag already has one. */
  insertTag(row: NewLeafAllocRow, signal?: AbortSignal): Promise<boolean>;
  /** Sets a row's base step, leaving `max_id` alone; resolves to false, creating nothing, when the tag has no row. */
  setStep(bizTag: string, step: number, signal?: AbortSignal): Promise<boolean>;
  /**
   * Optional, for a store on a replicated server: failover fencing. The store keeps a marker, replicated with its
   * rows, that names the server it was last fenced for (a PostgreSQL timeline, a MySQL/MariaDB server, a Redis
   * replication ID). Its `reserve` refuses with `FenceRequiredError`, changing nothing, while the server it runs on
   * is not the one the marker names; `fence` then moves every row's `max_id` ahead by its skip (`skipFor`), so that
   * no range a lost reservation held is handed out again, and makes the marker name the server, atomically and once
   * however many nodes call it at the same time. A store with no marker yet (a new table) gets one, moving nothing.
   */
  fence?(skips: FenceSkips, signal?: AbortSignal): Promise<FenceOutcome>;
}

/** How far a fence moves `max_id` ahead: IDs a lost reservation may have handed out. */
export interface FenceSkips {
  /** For every row the entries of `tags` do not cover. */
  readonly defaultSkip: bigint;
  /** For a tag's row and its period rows (`invoice` covers `invoice:20261201`). */
  readonly tags: ReadonlyMap<string, bigint>;
}

/** What `fence` did. */
export interface FenceOutcome {
  /** False when the marker already named this server (another node fenced first): nothing moved. */
  readonly fenced: boolean;
  /** The server the store runs on: `postgres timeline 3 of system 7301…`, `mariadb server_id 2`, `redis replid …`. */
  readonly identity: string;
  /** The server the marker named before; null for a store that had no marker (nothing to fence against). */
  readonly previous: string | null;
  /** Rows whose `max_id` moved. */
  readonly rows: number;
}

/** A row `createTags` creates when it is missing: at `max_id` 1, with this step and description. */
export interface NewTagRow {
  readonly tag: string;
  /** The row's base step: a positive integer, at most 2^31-1 (`leaf_alloc.step` is an int). */
  readonly step: number;
  readonly description: string | null;
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
