import { messageOf, sentence } from './error-message.js';
import { describeStoreFailure } from './store-failure.js';
import { LeafError } from './leaf.error.js';

/** Why no ID could be handed out. */
export type LeafUnavailableReason =
  | 'timeout'
  | 'overloaded'
  | 'shutting-down'
  | 'unreachable'
  /** `nextIdSync`: the tag is not served yet (its first use is looking it up). */
  | 'not-loaded'
  /** `nextIdSync`: the tag's IDs in memory ran out; the next segment is on its way. */
  | 'drained';

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

  /** `nextIdSync` found no ID of the tag in memory; the refill has started, so a later call may find one. */
  static notInMemory(bizTag: string, reason: 'not-loaded' | 'drained'): LeafUnavailableError {
    return new LeafUnavailableError(
      bizTag,
      reason,
      reason === 'not-loaded'
        ? `No ID of "${bizTag}" is in memory yet: the tag is not served (its first use is looking it up now). ` +
            `List it in bizTags to have it loaded at startup, or take its first ID with await nextId("${bizTag}").`
        : `No ID of "${bizTag}" is in memory: the tag used up what it held and its next segment is on its way. ` +
            'nextIdSync never waits: retry shortly, await nextId instead, or raise step or threshold so memory holds more.',
    );
  }

  /** The generator is closing (or closed): new calls are refused. */
  static shuttingDown(bizTag: string): LeafUnavailableError {
    return new LeafUnavailableError(bizTag, 'shutting-down', `IdGenerator is shutting down: no new ID of "${bizTag}".`);
  }

  /** The caller waited `waitTimeoutMs` for a segment; `cause` is the newest reservation failure, if any. */
  static timedOut(bizTag: string, waitTimeoutMs: number, cause: unknown): LeafUnavailableError {
    return new LeafUnavailableError(
      bizTag,
      'timeout',
      `No ID of "${bizTag}" became available within waitTimeoutMs (${waitTimeoutMs} ms)` +
        (cause === undefined
          ? ': the reservation is slow. Raise step or threshold, or waitTimeoutMs.'
          : `: reserving a segment keeps failing (${describeStoreFailure(cause).replace(/\.$/, '')}). Check the store it ` +
            'reserves from.'),
      { cause },
    );
  }

  /** `maxWaiters` callers already wait for the tag's next segment. */
  static overloaded(bizTag: string, waiting: number, cause: unknown): LeafUnavailableError {
    return new LeafUnavailableError(
      bizTag,
      'overloaded',
      `No ID of "${bizTag}" is in memory and ${waiting} callers already wait for the next segment (maxWaiters). ` +
        'Retry shortly; if this persists, raise step or check the database.',
      { cause },
    );
  }

  /** A tag met for the first time could not be looked up in `leaf_alloc`. */
  static lookupFailed(bizTag: string, cause: unknown): LeafUnavailableError {
    return new LeafUnavailableError(
      bizTag,
      'unreachable',
      `Could not look up "${bizTag}" in the store: ${sentence(messageOf(cause))} Check the store; the call may be retried.`,
      { cause },
    );
  }

  /** So many unknown tags are being looked up that this one is refused, to keep the store free for known tags. */
  static tooManyLookups(bizTag: string, limit: number): LeafUnavailableError {
    return new LeafUnavailableError(
      bizTag,
      'overloaded',
      `"${bizTag}" is not served yet and ${limit} lookups of tags met for the first time already wait ` +
        '(maxTagLookups): it was refused so that the tags being served keep their reservations. Retry shortly; ' +
        'if callers send tags that do not exist, validate them before calling nextId, or list the real ones in bizTags.',
    );
  }
}
