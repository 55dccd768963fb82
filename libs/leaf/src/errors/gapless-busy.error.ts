import { messageOf, sentence } from './error-message.js';
import { LeafError } from './leaf.error.js';

/**
 * Why no gapless number could be taken now: `timeout`, another transaction held the series' number longer than
 * `waitTimeoutMs`; `conflict`, the database ended a conflict of this transaction with another (a deadlock, a Galera
 * certification failure, a serialization failure, a stale SQLite snapshot).
 */
export type GaplessBusyReason = 'timeout' | 'conflict';

/**
 * No gapless number was taken, for a reason that passes. Retryable, but as a whole: roll the caller's transaction
 * back and run it again from the start (PostgreSQL refuses any further statement of a transaction that failed, and
 * MySQL/MariaDB roll a deadlocked one back themselves). Nothing of the series changed.
 */
export class GaplessBusyError extends LeafError {
  readonly code = 'LEAF_GAPLESS_BUSY';

  constructor(
    readonly bizTag: string,
    readonly reason: GaplessBusyReason,
    /** The period whose series was asked for (`'2026'`), `''` for a tag without a period. */
    readonly period: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The previous holder of the series' number did not commit or roll back within `waitTimeoutMs`. */
  static timedOut(bizTag: string, period: string, waitTimeoutMs: number, cause: unknown): GaplessBusyError {
    return new GaplessBusyError(
      bizTag,
      'timeout',
      period,
      `No gapless number of "${bizTag}"${of(period)} within waitTimeoutMs (${waitTimeoutMs} ms): another ` +
        'transaction took the previous one and has not committed or rolled back yet. Nothing was taken. Roll this ' +
        'transaction back and run it again; if it keeps happening, keep the transactions that take gapless numbers ' +
        'short (take the number last, just before the commit), or raise waitTimeoutMs.',
      { cause },
    );
  }

  /** The database broke a conflict between this transaction and another one. */
  static conflict(bizTag: string, period: string, cause: unknown): GaplessBusyError {
    return new GaplessBusyError(
      bizTag,
      'conflict',
      period,
      `The database refused this transaction the next gapless number of "${bizTag}"${of(period)}: ` +
        `${sentence(messageOf(cause))} Nothing was taken. Roll the transaction back and run it again from the start ` +
        '(a deadlock, a Galera certification failure or a serialization failure passes on a second try).',
      { cause },
    );
  }
}

function of(period: string): string {
  return period === '' ? '' : ` (period ${period})`;
}
