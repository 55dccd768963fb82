import type { ReservedRange } from '../store/leaf-store.js';
import { LeafServerHttpError } from './server-errors.js';

/** Ranges kept per client and row: enough for every instance of a service whose newest range can still come back. */
const PER_ROW = 8;
/** Client-and-row pairs kept at most; past it the pair used longest ago is forgotten (its tail then stays a gap). */
const MAX_PAIRS = 100_000;

/**
 * What this server reserved for each client (`POST /reserve/:key`), so that a give-back returns only the unused rest
 * of a range that client was handed, once. The store's compare-and-set (`max_id` still the range's end) then makes
 * sure no other reservation came in between. Without it, a client could hand back IDs it never held (`firstUnused`
 * 1 against `max_id` 62) and make every service repeat them.
 *
 * Kept in memory: after a restart of the server (or through another server node behind a load balancer) a
 * give-back is refused and the tail stays a gap, which costs IDs, never uniqueness.
 */
export class HandedRanges {
  private readonly ranges = new Map<string, ReservedRange[]>();

  /** Remembers that `client` was handed `range` of `bizTag`. */
  handed(client: string, bizTag: string, range: ReservedRange): void {
    const key = pairKey(client, bizTag);
    const kept = this.ranges.get(key) ?? [];
    // Re-inserted at the end, so the Map's order is the order pairs were last used in.
    this.ranges.delete(key);
    kept.push(range);
    if (kept.length > PER_ROW) kept.shift();
    this.ranges.set(key, kept);
    if (this.ranges.size > MAX_PAIRS) this.ranges.delete(this.ranges.keys().next().value!);
  }

  /**
   * Takes back the ranges of `bizTag` that `client` was handed and that `[firstUnused, end)` spans, for a give-back:
   * the one ending at `end`, and those right below it while `firstUnused` lies further down (a node's tail runs
   * through its current segment into its standby, two ranges that meet when no other node reserved between them).
   * They cannot be given back twice.
   *
   * @throws LeafServerHttpError 409 when this server handed `client` no range ending at `end` (or it was given back
   *   already); 400 when `firstUnused` lies below what it handed `client` without a gap
   */
  take(client: string, bizTag: string, firstUnused: bigint, end: bigint): void {
    const key = pairKey(client, bizTag);
    const kept = this.ranges.get(key) ?? [];
    const newest = kept.find((range) => range.end === end);
    if (newest === undefined) throw LeafServerHttpError.giveBackRefused(client, bizTag, end);
    const chain = [newest];
    let bottom = newest.start;
    while (firstUnused < bottom) {
      const below = kept.find((range) => range.end === bottom);
      if (below === undefined) break;
      chain.push(below);
      bottom = below.start;
    }
    if (firstUnused < bottom) {
      throw LeafServerHttpError.badRequest(
        `firstUnused (${firstUnused}) is below the start of the range [${bottom}, ${end}) this server handed to ` +
          `client "${client}": only its unused rest can be given back.`,
      );
    }
    const left = kept.filter((range) => !chain.includes(range));
    if (left.length === 0) this.ranges.delete(key);
    else this.ranges.set(key, left);
  }
}

function pairKey(client: string, bizTag: string): string {
  // The length prefix keeps pairs apart whatever characters a name or tag holds.
  return `${client.length}:${client}${bizTag}`;
}
