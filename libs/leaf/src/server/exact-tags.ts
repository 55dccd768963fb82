import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import type { LeafAllocRow } from '../store/leaf-store.js';
import type { LeafServerContext } from './leaf-server.context.js';
import type { UnknownTags } from './unknown-tags.js';

/** How long a row found under exactly its name is trusted before the next route that names it looks again. */
const CONFIRMED_MS = 60_000;
/** Tags kept confirmed at most; past it the list starts over (each costs one lookup again). */
const MAX_CONFIRMED = 100_000;

/**
 * The exact-tag check of every route that names a tag and goes to the store directly (reserve, give-back, tag
 * lookup): the store's `findTag`, which compares code unit for code unit and throws
 * `UnknownBizTagError.collationMatch` for a row another spelling matched. Without it, MariaDB's case-insensitive,
 * space-padded collation would let `POST /reserve/Payment` take from `payment`'s row, or `/reserve/ORDERX%20` from
 * `ORDERX`'s. (Leaf's GET route needs none here: the generator makes the same check before it reserves.)
 *
 * A row found is trusted for a minute, so a route costs a lookup per tag per minute, not one per call; lookups of
 * one tag run once for concurrent callers, under `UnknownTags`' negative cache and per-client cap.
 */
export class ExactTags {
  private readonly confirmed = new Map<string, number>();
  private readonly lookups = new Map<string, Promise<LeafAllocRow | undefined>>();

  constructor(
    private readonly ctx: LeafServerContext,
    private readonly unknownTags: UnknownTags,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Resolves once `bizTag` is known to have a row of exactly that name, or undefined (no promise) when that was
   * seen within the last minute.
   *
   * @throws UnknownBizTagError (404, with `similar` for a collation match), or what `UnknownTags` refuses with
   */
  check(caller: string, bizTag: string): Promise<LeafAllocRow> | undefined {
    const until = this.confirmed.get(bizTag);
    if (until !== undefined && this.now() < until) return undefined;
    return this.row(caller, bizTag);
  }

  /** The row of exactly `bizTag`, looked up now. */
  async row(caller: string, bizTag: string): Promise<LeafAllocRow> {
    const row = await this.unknownTags.run(
      caller,
      bizTag,
      () => this.lookUp(bizTag),
      (found) => found === undefined,
    );
    if (this.confirmed.size >= MAX_CONFIRMED) this.confirmed.clear();
    this.confirmed.set(bizTag, this.now() + CONFIRMED_MS);
    return row!;
  }

  /** Forgets a confirmation the store has just contradicted (the row went away). */
  forget(bizTag: string): void {
    this.confirmed.delete(bizTag);
  }

  /** Calls `call`, forgetting `bizTag` when the store says its row is gone. */
  async guarded<T>(bizTag: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof UnknownBizTagError) this.forget(bizTag);
      throw error;
    }
  }

  private lookUp(bizTag: string): Promise<LeafAllocRow | undefined> {
    let lookup = this.lookups.get(bizTag);
    if (lookup === undefined) {
      lookup = this.ctx
        .call(`Looking up "${bizTag}"`, (signal) => this.ctx.store.findTag(bizTag, signal))
        .finally(() => this.lookups.delete(bizTag));
      this.lookups.set(bizTag, lookup);
    }
    return lookup;
  }
}
