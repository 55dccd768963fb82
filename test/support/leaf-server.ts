import type { LeafAllocRow, LeafStore, NewLeafAllocRow, NewTagRow, ReservedRange } from 'nest-leaf';
import { startIdServer, type IdServerApp, type IdServerOptions } from '../../harness/leaf-server.js';

export { availablePlatforms, type Platform } from '../../harness/leaf-server.js';

type StoreMethod = Exclude<keyof LeafStore, 'engine' | 'location' | 'fence'>;

/**
 * A store that counts the calls it passes on (per method, and `findTag` per tag), and can fail the next calls of a
 * method with a given error: to see how many lookups reach the database, and what the server answers for a failure.
 */
export class CountingStore implements LeafStore {
  readonly calls: Record<StoreMethod, number> = {
    listTags: 0,
    findTag: 0,
    createTags: 0,
    reserve: 0,
    giveBack: 0,
    insertTag: 0,
    setStep: 0,
  };
  readonly findTagCalls = new Map<string, number>();
  /** Added to every `findTag`, as a database far away or under load would: lookups then overlap. */
  findTagDelayMs = 0;
  private readonly failures = new Map<StoreMethod, unknown[]>();

  constructor(private readonly inner: LeafStore) {}

  get engine(): string {
    return this.inner.engine;
  }

  get location(): string | undefined {
    return this.inner.location;
  }

  /** The next call of `method` rejects with `error` instead of reaching the database. */
  failNext(method: StoreMethod, error: unknown): void {
    const queue = this.failures.get(method) ?? [];
    queue.push(error);
    this.failures.set(method, queue);
  }

  listTags(signal?: AbortSignal): Promise<LeafAllocRow[]> {
    return this.pass('listTags', () => this.inner.listTags(signal));
  }

  findTag(bizTag: string, signal?: AbortSignal): Promise<LeafAllocRow | undefined> {
    this.findTagCalls.set(bizTag, (this.findTagCalls.get(bizTag) ?? 0) + 1);
    return this.pass('findTag', async () => {
      if (this.findTagDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.findTagDelayMs));
      return this.inner.findTag(bizTag, signal);
    });
  }

  createTags(tags: readonly NewTagRow[], signal?: AbortSignal): Promise<void> {
    return this.pass('createTags', () => this.inner.createTags(tags, signal));
  }

  reserve(bizTag: string, step: number, signal?: AbortSignal): Promise<ReservedRange> {
    return this.pass('reserve', () => this.inner.reserve(bizTag, step, signal));
  }

  giveBack(bizTag: string, firstUnused: bigint, end: bigint, signal?: AbortSignal): Promise<boolean> {
    return this.pass('giveBack', () => this.inner.giveBack(bizTag, firstUnused, end, signal));
  }

  insertTag(row: NewLeafAllocRow, signal?: AbortSignal): Promise<boolean> {
    return this.pass('insertTag', () => this.inner.insertTag(row, signal));
  }

  setStep(bizTag: string, step: number, signal?: AbortSignal): Promise<boolean> {
    return this.pass('setStep', () => this.inner.setStep(bizTag, step, signal));
  }

  private async pass<T>(method: StoreMethod, call: () => Promise<T>): Promise<T> {
    this.calls[method]++;
    const failure = this.failures.get(method)?.shift();
    if (failure !== undefined) throw failure;
    return call();
  }
}

export type LeafServerAppOptions = Omit<IdServerOptions<CountingStore>, 'wrapStore'>;
export type LeafServerApp = IdServerApp<CountingStore>;

/** An ID server whose store counts its calls (see `CountingStore`). */
export function startLeafServer(options: LeafServerAppOptions): Promise<LeafServerApp> {
  return startIdServer({ ...options, wrapStore: (store) => new CountingStore(store) });
}

/** A request to the server, its answer read whole: status, headers, body text. */
export async function call(
  url: string,
  init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; text: string; json<T = Record<string, unknown>>(): T }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T };
}
