import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import { LeafServerHttpError } from './server-errors.js';

/** The window of `maxUnknownTagsPerMinute`. */
const WINDOW_MS = 60_000;
/** Bounds of the two sets, so no sequence of requests grows them without end. */
const MAX_KNOWN = 100_000;
const SWEEP_AT = 10_000;

/** Tunables of `UnknownTags`. */
export interface UnknownTagsOptions {
  /** How long a missing tag is answered from memory; 0: never. */
  readonly cacheMs: number;
  /** Distinct missing tags per client per minute before 429. */
  readonly perMinute: number;
  /** Monotonic milliseconds; tests move it. */
  readonly now?: () => number;
}

/**
 * Keeps callers from making the server query the database for names they invent:
 * - a **negative cache**: a tag the store found no row for is answered with the same `UnknownBizTagError` from
 *   memory for `cacheMs`, so repeating a made-up name costs one lookup per period, however many requests;
 * - a **per-client cap**: each lookup of a tag the server does not know is counted against the client when it
 *   starts, so a client can make at most `perMinute` of them within a minute, however many it sends at once; past
 *   it, a tag the server does not know yet gets 429 until that minute ends. A lookup that finds its row is given
 *   back to the allowance, and tags the store answered for are never refused again, so a client probing names
 *   keeps its real traffic. Concurrent requests for one tag share one lookup (the callers coalesce them), and
 *   count once.
 *
 * "Missing" is what the store says: `findTag` found no row, or `reserve` / the generator threw `UnknownBizTagError`.
 */
export class UnknownTags {
  private readonly missing = new Map<string, { readonly error: UnknownBizTagError; readonly until: number }>();
  /** Tags the store has answered for: no cap applies to them. */
  private readonly known = new Set<string>();
  /** Tags whose lookup is under way, with the callers waiting on it: a request joining one costs no lookup. */
  private readonly inFlight = new Map<string, number>();
  private readonly windows = new Map<string, { readonly start: number; lookups: number }>();
  private readonly now: () => number;

  constructor(private readonly options: UnknownTagsOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Runs `call`, which may look `bizTag` up in the store, for `client`: refused at once when the tag is cached as
   * missing (its `UnknownBizTagError`) or the client is past its cap (429); its outcome is remembered.
   *
   * @param isMissing tells a result meaning "no row" (findTag's undefined), turned into `UnknownBizTagError`
   */
  run<T>(client: string, bizTag: string, call: () => Promise<T>, isMissing?: (result: T) => boolean): Promise<T> {
    // The route's hot path: a tag the store has answered for costs one Set lookup, no wrapper promise. (Should its
    // row go away, the generator's own UnknownBizTagError still reaches the caller.)
    if (isMissing === undefined && this.known.has(bizTag)) return call();
    return this.runChecked(client, bizTag, call, isMissing);
  }

  private async runChecked<T>(
    client: string,
    bizTag: string,
    call: () => Promise<T>,
    isMissing?: (result: T) => boolean,
  ): Promise<T> {
    const counted = this.known.has(bizTag) ? undefined : this.admit(client, bizTag);
    let result: T;
    try {
      result = await call();
    } catch (error) {
      if (error instanceof UnknownBizTagError) this.remember(bizTag, error);
      throw error;
    } finally {
      if (counted !== undefined) this.settled(bizTag);
    }
    if (isMissing?.(result)) {
      const error = new UnknownBizTagError(bizTag);
      this.remember(bizTag, error);
      throw error;
    }
    // Found: its lookup does not count against the client; the tag is served from now on.
    if (counted !== undefined && counted.lookups > 0) counted.lookups--;
    if (this.known.size >= MAX_KNOWN) this.known.clear();
    this.known.add(bizTag);
    return result;
  }

  /** Drops what is cached of `bizTag`: its row was just created through this server. */
  forget(bizTag: string): void {
    this.missing.delete(bizTag);
  }

  /**
   * Throws the cached error of a missing tag, or 429 when the client may start no new lookup now; else counts the
   * lookup (unless one of the tag is under way already) and returns the client's window, or undefined when nothing
   * was counted.
   */
  private admit(client: string, bizTag: string): { lookups: number } | undefined {
    const now = this.now();
    const cached = this.missing.get(bizTag);
    if (cached !== undefined) {
      if (now < cached.until) throw cached.error;
      this.missing.delete(bizTag);
    }
    const joining = this.inFlight.get(bizTag);
    if (joining !== undefined) {
      this.inFlight.set(bizTag, joining + 1);
      return { lookups: 0 };
    }
    let window = this.windows.get(client);
    if (window === undefined || now - window.start >= WINDOW_MS) {
      window = { start: now, lookups: 0 };
      this.windows.set(client, window);
    }
    if (window.lookups >= this.options.perMinute) {
      const retryAfter = Math.max(1, Math.ceil((window.start + WINDOW_MS - now) / 1000));
      throw LeafServerHttpError.tooManyUnknownTags(client, this.options.perMinute, retryAfter);
    }
    window.lookups++;
    this.inFlight.set(bizTag, 1);
    return window;
  }

  private settled(bizTag: string): void {
    const waiting = this.inFlight.get(bizTag) ?? 1;
    if (waiting <= 1) this.inFlight.delete(bizTag);
    else this.inFlight.set(bizTag, waiting - 1);
  }

  private remember(bizTag: string, error: UnknownBizTagError): void {
    const now = this.now();
    this.known.delete(bizTag);
    if (this.options.cacheMs > 0) {
      if (this.missing.size >= SWEEP_AT) this.sweep(now);
      this.missing.set(bizTag, { error, until: now + this.options.cacheMs });
    }
  }

  private sweep(now: number): void {
    for (const [tag, entry] of this.missing) if (now >= entry.until) this.missing.delete(tag);
    // Every entry still fresh: the caps let this many in only with many clients; drop the oldest half.
    if (this.missing.size >= SWEEP_AT) {
      let drop = this.missing.size / 2;
      for (const tag of this.missing.keys()) {
        if (drop-- <= 0) break;
        this.missing.delete(tag);
      }
    }
  }
}
