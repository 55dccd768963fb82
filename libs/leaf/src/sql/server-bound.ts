/**
 * The server's own bound on the statements that move `max_id`. The client gives up on a statement at
 * `reservationTimeoutMs` and destroys its connection, but a server does not notice a closed connection while the
 * statement waits for a row lock: without a bound of its own it applies the UPDATE once the lock goes, and the range
 * is lost (a gap of one step per abandoned reservation). Bounded a little below the client's deadline, the server
 * gives up first and rolls the statement back.
 */

/** `serverTimeoutFor(5000)`: the bound that goes with the default `reservationTimeoutMs`. */
export const DEFAULT_SERVER_TIMEOUT_MS = 4500;

/** The share of the client's deadline the server may use; the rest is for the network and the event loop. */
const SERVER_SHARE = 0.9;

/**
 * The server-side bound that goes with a client deadline of `reservationTimeoutMs`: 90% of it, at least 1 ms.
 * Pass it as `TypeOrmLeafStore`'s `serverTimeoutMs`.
 */
export function serverTimeoutFor(reservationTimeoutMs: number): number {
  return Math.max(1, Math.floor(reservationTimeoutMs * SERVER_SHARE));
}

/**
 * What is left of the bound for a statement about to be sent, `startedAt` being when the store call began (when
 * the client's deadline started): the time spent waiting for a pooled connection or opening one is not given to
 * the server again. At least 1 ms, since 0 turns the engines' timeouts off.
 */
export function remainingBoundMs(serverTimeoutMs: number, startedAt: number, now = performance.now()): number {
  return Math.max(1, Math.floor(serverTimeoutMs - (now - startedAt)));
}

/**
 * The server gave up on an UPDATE of `leaf_alloc` at its bound and rolled it back: nothing changed. Almost always
 * another transaction holding the tag's row (a long transaction, an `UPDATE` or `SELECT … FOR UPDATE` by hand).
 * Transient: not a `LeafStoreError`, so the generator retries it. The driver's error is the `cause`.
 */
export class ServerTimeoutError extends Error {
  override readonly name = 'ServerTimeoutError';

  constructor(
    readonly bizTag: string,
    /** The bound the statement ran under, as sent: `max_statement_time=0.900`, `lock_timeout=900ms`, … */
    readonly limit: string,
    cause: unknown,
  ) {
    super(
      `Another transaction holds the leaf_alloc row of "${bizTag}" (or the server is too slow ` +
        `to update it): the server gave up the UPDATE at ${limit} and changed nothing. Look for a long transaction ` +
        'that updated or locked that row.',
      { cause },
    );
  }
}
