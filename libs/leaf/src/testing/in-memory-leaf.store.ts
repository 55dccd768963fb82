import { IdOverflowError } from '../errors/id-overflow.error.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import {
  MAX_ID,
  type LeafAllocRow,
  type LeafStore,
  type NewLeafAllocRow,
  type ReservedRange,
  type NewTagRow,
} from '../store/leaf-store.js';

/** One row of the in-memory `leaf_alloc`. */
export interface InMemoryLeafRow {
  /** Where the next segment starts, as `leaf_alloc.max_id`. */
  maxId: bigint;
  /** The row's base step. */
  step: number;
  description: string | null;
}

/** A reservation waiting for the test to release or fail it. */
export interface HeldReservation {
  readonly bizTag: string;
  /** How many IDs the generator asked for. */
  readonly step: number;
}

interface PendingReservation extends HeldReservation {
  resolve(range: ReservedRange): void;
  reject(error: unknown): void;
  /** Stops listening to the reservation's signal, once it is released or failed. */
  detach(): void;
}

/** How held reservations behave. */
export interface HoldOptions {
  /**
   * Keep a held reservation whose `AbortSignal` fires (the generator gave up at `reservationTimeoutMs`) until the
   * test releases it, as a database commits an UPDATE whose client stopped waiting: the range lands late, and the
   * generator must never use it. Default false: an aborted reservation rejects at once and leaves the queue.
   */
  readonly ignoreAbort?: boolean;
}

/**
 * `leaf_alloc` in memory, so the real `IdGenerator` runs in unit tests without a database. A new row starts
 * at `max_id` 1, like the SQL stores, so a tag's IDs are 1, 2, 3…; errors are the ones the SQL stores throw
 * (`UnknownBizTagError`, `IdOverflowError`).
 *
 * Reservations complete at once. To see what your code does while the database is slow or failing, `hold()`
 * them: each then waits until the test calls `releaseNext()` or `failNext()`. The row moves when a reservation
 * is released, not when it is made, as a stalled UPDATE that lands later would.
 *
 * It honours `AbortSignal`s as the `LeafStore` contract asks: a call made with an aborted signal rejects with the
 * signal's reason and changes nothing, and a held reservation whose signal fires rejects and leaves the queue
 * (unless held with `{ ignoreAbort: true }`, to play a statement that lands after its caller gave up).
 */
export class InMemoryLeafStore implements LeafStore {
  readonly engine = 'memory';
  /**
   * The table itself: read it to check `max_id`, edit it to play an operator (delete a row, change a step)
   * or to start a tag near the end of its range.
   */
  readonly rows = new Map<string, InMemoryLeafRow>();
  /** Calls of `reserve()` so far, held or not: how often the generator went to the "database". */
  reserveCalls = 0;
  private holding = false;
  private ignoreAbort = false;
  private readonly queue: PendingReservation[] = [];
  private readonly heldWaiters: { count: number; resolve(): void; reject(error: Error): void }[] = [];

  /** @param rows rows to start with; `maxId` defaults to 1 */
  constructor(rows: Record<string, { maxId?: bigint; step: number }> = {}) {
    for (const [tag, row] of Object.entries(rows)) {
      this.rows.set(tag, { maxId: row.maxId ?? 1n, step: row.step, description: null });
    }
  }

  /** The reservations waiting for `releaseNext()` / `failNext()`, oldest first. */
  get held(): readonly HeldReservation[] {
    return this.queue.map(({ bizTag, step }) => ({ bizTag, step }));
  }

  /**
   * From now on reservations wait until the test releases or fails them, as if every query hung. The generator
   * keeps serving from memory meanwhile; callers wait only once memory runs out (and fail after `waitTimeoutMs`).
   */
  hold(options: HoldOptions = {}): void {
    this.holding = true;
    this.ignoreAbort = options.ignoreAbort ?? false;
  }

  /** Stops holding: the held reservations complete, oldest first, and new ones complete at once. */
  resume(): void {
    this.holding = false;
    while (this.queue.length > 0) this.releaseNext();
    for (const waiter of this.heldWaiters.splice(0))
      waiter.reject(new Error('resume() was called before enough reservations were held'));
  }

  /**
   * Completes the oldest held reservation: its row moves by the step and the generator gets the range.
   * @throws Error when no reservation is held (wait for one with `whenHeld()`)
   */
  releaseNext(): HeldReservation {
    const next = this.takeNext('releaseNext');
    next.detach();
    try {
      next.resolve(this.apply(next.bizTag, next.step));
    } catch (error) {
      next.reject(error);
    }
    return { bizTag: next.bizTag, step: next.step };
  }

  /**
   * Fails the oldest held reservation with `error`, leaving the row as it was. A plain `Error` is what a lost
   * connection looks like: the generator retries it with backoff. A `LeafError` fails waiting callers at once.
   * @throws Error when no reservation is held
   */
  failNext(error: unknown = new Error('connection lost')): HeldReservation {
    const next = this.takeNext('failNext');
    next.detach();
    next.reject(error);
    return { bizTag: next.bizTag, step: next.step };
  }

  /**
   * Resolves once at least `count` reservations are held. Reservations start a few promise ticks after the call
   * that needs them, so await this before `releaseNext()` rather than guessing how many ticks that is.
   */
  whenHeld(count = 1): Promise<void> {
    if (this.queue.length >= count) return Promise.resolve();
    if (!this.holding) return Promise.reject(new Error('whenHeld() waits for held reservations: call hold() first'));
    return new Promise((resolve, reject) => this.heldWaiters.push({ count, resolve, reject }));
  }

  async listTags(signal?: AbortSignal): Promise<LeafAllocRow[]> {
    signal?.throwIfAborted();
    return [...this.rows].map(([bizTag, row]) => ({ bizTag, step: row.step }));
  }

  async findTag(bizTag: string, signal?: AbortSignal): Promise<LeafAllocRow | undefined> {
    signal?.throwIfAborted();
    const row = this.rows.get(bizTag);
    return row && { bizTag, step: row.step };
  }

  async createTags(tags: readonly NewTagRow[], signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    for (const { tag, step, description } of tags) {
      if (!this.rows.has(tag)) this.rows.set(tag, { maxId: 1n, step, description });
    }
  }

  reserve(bizTag: string, step: number, signal?: AbortSignal): Promise<ReservedRange> {
    this.reserveCalls++;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.holding) {
      // A turn later, as a query's answer would come: an abort in between wins, and nothing moves.
      return Promise.resolve().then(() => {
        signal?.throwIfAborted();
        return this.apply(bizTag, step);
      });
    }
    return new Promise((resolve, reject) => {
      const pending: PendingReservation = { bizTag, step, resolve, reject, detach: () => undefined };
      if (signal !== undefined && !this.ignoreAbort) {
        const onAbort = () => {
          const index = this.queue.indexOf(pending);
          if (index >= 0) this.queue.splice(index, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        pending.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(pending);
      for (let i = this.heldWaiters.length - 1; i >= 0; i--) {
        if (this.queue.length >= this.heldWaiters[i].count) this.heldWaiters.splice(i, 1)[0].resolve();
      }
    });
  }

  async giveBack(bizTag: string, firstUnused: bigint, end: bigint, signal?: AbortSignal): Promise<boolean> {
    signal?.throwIfAborted();
    const row = this.rows.get(bizTag);
    if (!row || row.maxId !== end) return false;
    row.maxId = firstUnused;
    return true;
  }

  async insertTag({ bizTag, maxId, step, description }: NewLeafAllocRow, signal?: AbortSignal): Promise<boolean> {
    signal?.throwIfAborted();
    if (this.rows.has(bizTag)) return false;
    this.rows.set(bizTag, { maxId, step, description });
    return true;
  }

  async setStep(bizTag: string, step: number, signal?: AbortSignal): Promise<boolean> {
    signal?.throwIfAborted();
    const row = this.rows.get(bizTag);
    if (row) row.step = step;
    return row !== undefined;
  }

  /** The UPDATE of a reservation: moves `max_id` by `step` unless the row is gone or would pass 2^63-1. */
  private apply(bizTag: string, step: number): ReservedRange {
    const row = this.rows.get(bizTag);
    if (!row) throw new UnknownBizTagError(bizTag);
    if (row.maxId > MAX_ID - BigInt(step)) throw new IdOverflowError(bizTag, row.maxId, step);
    const start = row.maxId;
    row.maxId += BigInt(step);
    return { start, end: row.maxId };
  }

  private takeNext(method: string): PendingReservation {
    const next = this.queue.shift();
    if (next === undefined) {
      throw new Error(
        `${method}(): no reservation is held` +
          (this.holding ? '; await store.whenHeld() first' : ': call store.hold() before the reservation starts'),
      );
    }
    return next;
  }
}
