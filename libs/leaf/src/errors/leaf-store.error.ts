import { collationMatchText } from './collation-match.js';
import { LeafError } from './leaf.error.js';
import { sqlLiteral } from './sql-literal.js';

/**
 * The `leaf_alloc` table cannot be used as it is: missing, unreadable, or holding a row the library cannot
 * serve (for example `step <= 0`). The message says what to change in the database.
 */
export class LeafStoreError extends LeafError {
  readonly code = 'LEAF_STORE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }

  /**
   * A configured tag is still without a row after the missing ones were created: its INSERT met another
   * spelling's row ("ORDER" and "order") that the table's collation treats as equal.
   */
  static collationMatch(bizTag: string, row: string): LeafStoreError {
    return new LeafStoreError(collationMatchText(bizTag, row));
  }

  /**
   * A reservation came back below what this node already issued or holds: the row was reset (deleted and
   * re-inserted, or `max_id` set back by hand). The range is not used, so no ID is handed out twice.
   */
  static movedBack(bizTag: string, range: { start: bigint; end: bigint }, floor: bigint): LeafStoreError {
    return new LeafStoreError(
      `leaf_alloc.max_id of "${bizTag}" moved back: a reservation returned [${range.start}, ${range.end}), but this ` +
        `node has already issued or holds IDs up to ${floor - 1n}. That range was not used, so no ID repeats; the ` +
        `tag fails until max_id is past them again. If the database failed over to a replica, fence it (LeafAdmin.` +
        `fence(), or npx nest-leaf fence), which moves every tag ahead; otherwise set this one with: UPDATE ` +
        `leaf_alloc SET max_id = ${floor} WHERE biz_tag = ${sqlLiteral(bizTag)} AND max_id < ${floor}.`,
    );
  }

  /** A row whose `step` is not a positive integer cannot be reserved from. */
  static badStep(bizTag: string, step: unknown): LeafStoreError {
    return new LeafStoreError(
      `leaf_alloc row "${bizTag}" has step ${String(step)}; a step must be a positive integer. ` +
        `Fix it with: UPDATE leaf_alloc SET step = 1000 WHERE biz_tag = ${sqlLiteral(bizTag)}.`,
    );
  }
}
