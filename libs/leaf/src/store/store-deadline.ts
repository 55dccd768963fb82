/**
 * Runs one store call under a deadline, the only one there is: the store gets an `AbortSignal` that fires at the
 * deadline, to stop its statement and drop its connection, and the caller gets the signal's reason then, even from
 * a store that ignores it. The reason is a plain `Error`, not a `LeafStoreError`: a timeout is worth retrying.
 *
 * @param what the operation, for the message: `reserving a segment of "order"`
 */
export async function withDeadline<T>(ms: number, what: string, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new Error(
          `${what} did not complete within reservationTimeoutMs (${ms} ms) and was abandoned (a result that ` +
            'comes later is never used): the store may be slow, locked by another connection, or unreachable.',
        ),
      ),
    ms,
  );
  timer.unref();
  let stop: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    stop = () => reject(controller.signal.reason);
    controller.signal.addEventListener('abort', stop, { once: true });
  });
  const pending = call(controller.signal);
  // Settles after the deadline when the store ignores the signal: nobody waits for it any more.
  pending.catch(() => undefined);
  try {
    return await Promise.race([pending, aborted]);
  } finally {
    clearTimeout(timer);
    controller.signal.removeEventListener('abort', stop);
  }
}
