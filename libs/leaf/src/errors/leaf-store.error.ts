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
}
