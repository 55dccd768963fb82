import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import type { ResolvedBizTag } from '../leaf.defaults.js';
import type { LeafAllocRow, LeafStore, NewLeafAllocRow, NewTagRow, ReservedRange } from '../store/leaf-store.js';

/**
 * The store as one period's row sees it: before its first reservation the row is looked up exactly and created
 * when missing (`max_id` 1, so the period's first number is 1). Inside the reservation's own deadline and retry, so
 * a database that is down while a period begins costs what any failed reservation costs, no more.
 */
export class PeriodRowStore implements LeafStore {
  readonly engine: string;
  readonly location?: string;
  private found = false;

  constructor(
    private readonly store: LeafStore,
    /** The period tag: the row is created with its step and description. */
    private readonly spec: ResolvedBizTag,
  ) {
    this.engine = store.engine;
    this.location = store.location;
  }

  async reserve(bizTag: string, step: number, signal?: AbortSignal): Promise<ReservedRange> {
    // Looked up exactly first: under a case-insensitive collation the UPDATE alone could land on "Invoice:…".
    if (!this.found) {
      if ((await this.store.findTag(bizTag, signal)) === undefined) {
        const { step, description } = this.spec;
        await this.store.createTags([{ tag: bizTag, step, description }], signal);
        if ((await this.store.findTag(bizTag, signal)) === undefined) throw new UnknownBizTagError(bizTag);
      }
      this.found = true;
    }
    return this.store.reserve(bizTag, step, signal);
  }

  listTags(signal?: AbortSignal): Promise<LeafAllocRow[]> {
    return this.store.listTags(signal);
  }

  findTag(bizTag: string, signal?: AbortSignal): Promise<LeafAllocRow | undefined> {
    return this.store.findTag(bizTag, signal);
  }

  createTags(tags: readonly NewTagRow[], signal?: AbortSignal): Promise<void> {
    return this.store.createTags(tags, signal);
  }

  giveBack(bizTag: string, firstUnused: bigint, end: bigint, signal?: AbortSignal): Promise<boolean> {
    return this.store.giveBack(bizTag, firstUnused, end, signal);
  }

  insertTag(row: NewLeafAllocRow, signal?: AbortSignal): Promise<boolean> {
    return this.store.insertTag(row, signal);
  }

  setStep(bizTag: string, step: number, signal?: AbortSignal): Promise<boolean> {
    return this.store.setStep(bizTag, step, signal);
  }

  /** The store's failover fence, when it has one: a period row's reservation may be the first to need it. */
  get fence(): LeafStore['fence'] {
    return this.store.fence?.bind(this.store);
  }
}
