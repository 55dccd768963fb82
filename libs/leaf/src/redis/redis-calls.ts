import type { Cluster, Redis } from 'ioredis';

/**
 * How the store's calls wait on Redis. It listens to the client's `error` events, which ioredis otherwise prints as
 * unhandled on every failed reconnection, and keeps the newest: while the client cannot connect, a call fails as
 * soon as that is known, naming the address and why, instead of waiting in ioredis's offline queue until its
 * deadline. The generator retries it with backoff, as after any failure.
 */
export class RedisCalls {
  private connectionError: Error | undefined;

  constructor(
    private readonly client: Redis | Cluster,
    /** `Redis at <host>:<port> (keys …)`: what the errors name. */
    private readonly location: string,
  ) {
    client.on('error', (error: Error) => {
      this.connectionError = error;
    });
  }

  /**
   * Runs `call` under the caller's signal: an aborted signal rejects at once, and an abort while the command is out
   * rejects without waiting for it (it may still land: the generator never uses a range that lands late). A failure
   * goes through `mapError`.
   */
  async run<T>(
    signal: AbortSignal | undefined,
    call: () => Promise<T>,
    mapError: (error: unknown) => unknown,
  ): Promise<T> {
    signal?.throwIfAborted();
    if (this.down) throw this.unreachable();
    const pending = call().catch((error: unknown) => {
      throw this.down ? this.unreachable() : mapError(error);
    });
    pending.catch(() => undefined);
    const stops: Array<() => void> = [];
    const refused = new Promise<never>((_, reject) => {
      const onError = () => this.down && reject(this.unreachable());
      this.client.on('error', onError);
      stops.push(() => this.client.off('error', onError));
      if (signal === undefined) return;
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      stops.push(() => signal.removeEventListener('abort', onAbort));
    });
    try {
      return await Promise.race([pending, refused]);
    } finally {
      for (const stop of stops) stop();
    }
  }

  /** The client failed to connect and is not connected since. */
  private get down(): boolean {
    return this.connectionError !== undefined && this.client.status !== 'ready';
  }

  private unreachable(): Error {
    const cause = this.connectionError!;
    return new Error(`${this.location} is not reachable: ${cause.message}`, { cause });
  }
}
