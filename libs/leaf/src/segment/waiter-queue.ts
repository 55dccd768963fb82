/** A caller parked until IDs are in memory again. */
export interface Waiter {
  /** IDs still owed to this caller. */
  remaining: number;
  /** IDs taken so far for a batch call; null for a single `nextId`. */
  readonly ids: bigint[] | null;
  readonly deadline: number;
  readonly resolve: (value: never) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * FIFO of waiting callers. Every waiter gets the same timeout, so the head always has the earliest
 * deadline and one timer per queue is enough, however many callers wait.
 */
export class WaiterQueue {
  private items: Waiter[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  /** IDs owed to every waiter together: the demand a reservation should cover. */
  get demand(): number {
    let sum = 0;
    for (let i = this.head; i < this.items.length; i++) sum += this.items[i].remaining;
    return sum;
  }

  push(waiter: Waiter): void {
    this.items.push(waiter);
  }

  peek(): Waiter | undefined {
    return this.items[this.head];
  }

  shift(): Waiter | undefined {
    const waiter = this.items[this.head];
    if (waiter === undefined) return undefined;
    this.items[this.head++] = undefined as unknown as Waiter;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return waiter;
  }

  /** Removes and returns every waiter. */
  drain(): Waiter[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return all;
  }
}
