/**
 * A statement of a layer that hands out no connection (Prisma, Kysely), raced against the call's signal: the call
 * rejects with the signal's reason when it fires first. The statement itself runs on to its end on the layer's pool,
 * which the layer bounds; the server's own bound on the UPDATEs still rolls back one that waits for a row lock.
 */
export function raceSignal<T>(work: PromiseLike<T>, signal: AbortSignal | undefined): Promise<T> {
  signal?.throwIfAborted();
  if (signal === undefined) return Promise.resolve(work);
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}
