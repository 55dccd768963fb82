import { collationMatchText } from './collation-match.js';
import { LeafError } from './leaf.error.js';

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
}
