import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import type { ResolvedBizTag } from '../leaf.options.js';
import type { LeafAllocRow, LeafStore, NewLeafAllocRow, ReservedRange } from '../store/leaf-store.js';

interface PendingReservation {
  readonly bizTag: string;
  readonly step: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * An in-memory `leaf_alloc` whose reservations wait until the test releases them, for unit tests of
 * timing edge cases only (integration tests use the real database).
 */
export class FakeLeafStore implements LeafStore {
  readonly engine = 'fake';
  readonly rows = new Map<string, { maxId: bigint; step: number }>();
  readonly pending: PendingReservation[] = [];
  /** When false, reservations complete at once. */
  manual = true;
  reserveCalls = 0;

  constructor(rows: Record<string, { maxId?: bigint; step: number }> = {}) {
    for (const [tag, row] of Object.entries(rows)) this.rows.set(tag, { maxId: row.maxId ?? 1n, step: row.step });
  }

  async listTags(): Promise<LeafAllocRow[]> {
    return [...this.rows].map(([bizTag, row]) => ({ bizTag, step: row.step }));
  }

  async findTag(bizTag: string): Promise<LeafAllocRow | undefined> {
    const row = this.rows.get(bizTag);
    return row && { bizTag, step: row.step };
  }

  async createTags(tags: readonly ResolvedBizTag[]): Promise<void> {
    for (const tag of tags) if (!this.rows.has(tag.tag)) this.rows.set(tag.tag, { maxId: 1n, step: tag.step });
  }

  reserve(bizTag: string, step: number): Promise<ReservedRange> {
    this.reserveCalls++;
    const apply = (): ReservedRange => {
      const row = this.rows.get(bizTag);
      if (!row) throw new UnknownBizTagError(bizTag);
      const start = row.maxId;
      row.maxId += BigInt(step);
      return { start, end: row.maxId };
    };
    if (!this.manual) return Promise.resolve().then(apply);
    return new Promise((resolve, reject) => {
      this.pending.push({ bizTag, step, resolve: () => resolve(apply()), reject });
    });
  }

  async giveBack(bizTag: string, firstUnused: bigint, end: bigint): Promise<boolean> {
    const row = this.rows.get(bizTag);
    if (!row || row.maxId !== end) return false;
    row.maxId = firstUnused;
    return true;
  }

  async insertTag({ bizTag, maxId, step }: NewLeafAllocRow): Promise<boolean> {
    if (this.rows.has(bizTag)) return false;
    this.rows.set(bizTag, { maxId, step });
    return true;
  }

  async setStep(bizTag: string, step: number): Promise<boolean> {
    const row = this.rows.get(bizTag);
    if (row) row.step = step;
    return row !== undefined;
  }

  /** Completes the oldest pending reservation; returns its step. */
  complete(): number {
    const next = this.pending.shift();
    if (!next) throw new Error('no reservation is pending');
    next.resolve();
    return next.step;
  }

  /** Fails the oldest pending reservation. */
  fail(error: unknown = new Error('connection lost')): void {
    const next = this.pending.shift();
    if (!next) throw new Error('no reservation is pending');
    next.reject(error);
  }
}
