import { LeafError } from './leaf.error.js';

/** Why no ID could be handed out. */
export type LeafUnavailableReason = 'timeout' | 'overloaded' | 'shutting-down' | 'unreachable';

/**
 * No ID is in memory and none could be reserved in time. Nothing was issued; the call may be retried.
 */
export class LeafUnavailableError extends LeafError {
  readonly code = 'LEAF_UNAVAILABLE';

  constructor(
    readonly bizTag: string,
    readonly reason: LeafUnavailableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The generator is closing (or closed): new calls are refused. */
  static shuttingDown(bizTag: string): LeafUnavailableError {
    return new LeafUnavailableError(bizTag, 'shutting-down', `IdGenerator is shutting down: no new ID of "${bizTag}".`);
  }
}
