import type { SegmentPair } from './segment-pair.js';

/** A caller parked until IDs are in memory again: a single `nextId`, or a batch (`ids` holds what it took so far). */
export type Waiter =
  | { remaining: number; readonly ids: null; readonly resolve: (id: bigint) => void; readonly reject: Reject }
  | { remaining: number; readonly ids: bigint[]; readonly resolve: (ids: bigint[]) => void; readonly reject: Reject };

type Reject = (error: unknown) => void;

/** Monotonic ms: a wall clock stepped back must not keep a caller waiting past its timeout. */
type Parked = Waiter & { readonly deadline: number };

/**
 * FIFO of waiting callers, with the one timer that fails each of them at its own deadline. Every waiter gets the
 * same timeout on the monotonic clock, so deadlines grow from head to tail: the timer only ever needs the head's.
 */
export class WaiterQueue {
  private items: Parked[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;

  /**
   * @param timeoutMs how long a caller may wait
   * @param timedOut the error a caller gets at its deadline
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly timedOut: () => unknown,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  /** IDs owed to every waiter together: the demand a reservation should cover. */
  get demand(): number {
    let sum = 0;
    for (let i = this.head; i < this.items.length; i++) sum += this.items[i].remaining;
    return sum;
  }

  /** Parks a caller until `timeoutMs` from now. */
  push(waiter: Waiter): void {
    this.items.push({ ...waiter, deadline: performance.now() + this.timeoutMs });
    if (this.timer === null) this.arm();
  }

  peek(): Waiter | undefined {
    return this.items[this.head];
  }

  shift(): Waiter | undefined {
    const waiter = this.items[this.head];
    if (waiter === undefined) return undefined;
    this.items[this.head++] = undefined as unknown as Parked;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
      this.disarm();
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return waiter;
  }

  /**
   * Serves waiters from `pair` in arrival order, each the moment its IDs are taken (a batch only once whole), until
   * the pair runs dry or nobody waits.
   */
  serveFrom(pair: SegmentPair): void {
    for (let waiter = this.peek(); waiter !== undefined; waiter = this.peek()) {
      if (waiter.ids === null) {
        const id = pair.takeOne();
        if (id === undefined) return;
        this.shift();
        waiter.resolve(id);
      } else {
        waiter.remaining -= pair.takeInto(waiter.ids, waiter.ids.length - waiter.remaining, waiter.remaining);
        if (waiter.remaining > 0) return;
        this.shift();
        waiter.resolve(waiter.ids);
      }
    }
  }

  /** Removes every waiter and rejects each with `error`. */
  rejectAll(error: unknown): void {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.disarm();
    for (const waiter of all) waiter.reject(error);
  }

  private arm(): void {
    const head = this.items[this.head];
    if (head === undefined) return;
    this.timer = setTimeout(() => this.expire(), Math.max(0, head.deadline - performance.now()));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Fails every caller whose deadline has passed (a late timer may find several), then waits for the next one. */
  private expire(): void {
    this.timer = null;
    const now = performance.now();
    for (let head = this.items[this.head]; head !== undefined && head.deadline <= now; head = this.items[this.head]) {
      this.shift();
      head.reject(this.timedOut());
    }
    if (this.timer === null) this.arm();
  }
}
