import { LeafStoreError } from '../errors/leaf-store.error.js';
import { messageOf } from '../errors/error-message.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import type { LeafAllocRow, LeafStore, NewLeafAllocRow, NewTagRow, ReservedRange } from '../store/leaf-store.js';
import {
  LEAF_API_PREFIX,
  LEAF_ROUTES,
  leafRoutePath,
  type CreateTagsRequestBody,
  type GiveBackRequestBody,
  type InsertTagRequestBody,
  type LeafRouteName,
  type ReserveRequestBody,
  type SetStepRequestBody,
} from '../protocol/leaf-protocol.js';
import { errorFromResponse, GiveBackRefused, type ServerErrorBody } from './http-errors.js';

/** Options of `HttpLeafStore`. */
export interface HttpLeafStoreOptions {
  /**
   * The address of the app that imports `LeafServerModule`: `http://ids.internal:3000`. A path is kept
   * (`https://gateway/leaf` reaches `https://gateway/leaf/api/segment/...`).
   */
  readonly baseUrl: string | URL;
  /** This client's bearer token, as configured in the server's `clients`. */
  readonly token: string;
  /**
   * Longest wait for a call made without an `AbortSignal`, in ms. The generator always passes one that fires at its
   * `reservationTimeoutMs`; this bounds calls made by hand. Default 10,000.
   */
  readonly timeoutMs?: number;
}

/**
 * A `LeafStore` that reserves segments from a nest-leaf ID server (`LeafServerModule`, `nest-leaf/server`) over HTTP,
 * so a service needs no database credentials and no pool of its own: a hundred services cost the database one
 * client, the server. The generator in front of it keeps its dual buffer and runway in the service's own memory, so
 * IDs still come from memory and a server restart shorter than the runway costs no call.
 *
 * ```ts
 * LeafModule.forRoot({
 *   bizTags: ['invoice'],
 *   store: new HttpLeafStore({ baseUrl: process.env.LEAF_URL!, token: process.env.LEAF_TOKEN! }),
 * })
 * ```
 *
 * It runs on Node's own `fetch` (undici keeps connections alive), honours the `AbortSignal` each call gets, and turns
 * the server's error bodies back into the library's errors: `UnknownBizTagError`, `IdOverflowError`, and
 * `LeafStoreError` for what a person must fix (a wrong token, a tag the client is not allowed); a network error, a
 * 503 or a 429 is a plain `Error`, which the generator retries. The server's answers are checked, never trusted.
 */
export class HttpLeafStore implements LeafStore {
  readonly engine = 'http';
  /** `the ID server at <baseUrl>`: what messages name. */
  readonly location: string;
  private readonly base: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;

  constructor(options: HttpLeafStoreOptions) {
    let url: URL;
    try {
      url = new URL(String(options?.baseUrl));
    } catch {
      throw new TypeError(`HttpLeafStore: baseUrl must be an absolute http(s) URL, got ${String(options?.baseUrl)}.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`HttpLeafStore: baseUrl must be http: or https:, got ${url.protocol}`);
    }
    if (typeof options.token !== 'string' || options.token.length === 0) {
      throw new TypeError('HttpLeafStore: token must be the non-empty bearer token of a client of the server.');
    }
    const timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
      throw new TypeError(`HttpLeafStore: timeoutMs must be a positive integer (ms), got ${timeoutMs}.`);
    }
    const root = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
    this.base = `${root}/${LEAF_API_PREFIX}`;
    this.location = `the ID server at ${root}`;
    this.authorization = `Bearer ${options.token}`;
    this.timeoutMs = timeoutMs;
  }

  async listTags(signal?: AbortSignal): Promise<LeafAllocRow[]> {
    const body = await this.request('listTags', undefined, undefined, signal);
    const rows = (body as { rows?: unknown }).rows;
    if (!Array.isArray(rows)) throw this.malformed('GET /tags', body);
    return rows.map((row: unknown) => this.row(row, 'GET /tags'));
  }

  async findTag(bizTag: string, signal?: AbortSignal): Promise<LeafAllocRow | undefined> {
    try {
      return this.row(await this.request('findTag', bizTag, undefined, signal), 'GET /tags/:key');
    } catch (error) {
      // No row: a 404 without `similar`. One with `similar` is a collation match, which findTag reports by throwing.
      if (isNoRow(error)) return undefined;
      throw error;
    }
  }

  async createTags(tags: readonly NewTagRow[], signal?: AbortSignal): Promise<void> {
    if (tags.length === 0) return;
    const body: CreateTagsRequestBody = {
      rows: tags.map(({ tag, step, description }) => ({ tag, step, description })),
    };
    await this.request('createTags', undefined, body, signal);
  }

  async reserve(bizTag: string, step: number, signal?: AbortSignal): Promise<ReservedRange> {
    const request: ReserveRequestBody = { step };
    const body = (await this.request('reserve', bizTag, request, signal)) as Record<string, unknown>;
    const start = decimal(body.start);
    const end = decimal(body.end);
    if (start === undefined || end === undefined || end - start !== BigInt(step)) throw this.malformed('reserve', body);
    return { start, end };
  }

  async giveBack(bizTag: string, firstUnused: bigint, end: bigint, signal?: AbortSignal): Promise<boolean> {
    const body: GiveBackRequestBody = { firstUnused: String(firstUnused), end: String(end) };
    try {
      return this.flag(await this.request('giveBack', bizTag, body, signal), 'givenBack');
    } catch (error) {
      // The server takes back only a range it handed this client and still remembers (not after its restart):
      // otherwise nothing changed, which is a give-back that did not happen.
      if (error instanceof GiveBackRefused) return false;
      throw error;
    }
  }

  async insertTag({ bizTag, maxId, step, description }: NewLeafAllocRow, signal?: AbortSignal): Promise<boolean> {
    const body: InsertTagRequestBody = { maxId: String(maxId), step, description };
    return this.flag(await this.request('insertTag', bizTag, body, signal), 'inserted');
  }

  async setStep(bizTag: string, step: number, signal?: AbortSignal): Promise<boolean> {
    const body: SetStepRequestBody = { step };
    return this.flag(await this.request('setStep', bizTag, body, signal), 'updated');
  }

  /** One call of a route of the protocol: the parsed JSON of a 2xx answer, else the error the answer means. */
  private async request(
    route: LeafRouteName,
    bizTag: string | undefined,
    body: object | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    signal?.throwIfAborted();
    const { method } = LEAF_ROUTES[route];
    const url = `${this.base}${leafRoutePath(route, bizTag)}`;
    const headers: Record<string, string> = { authorization: this.authorization, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ?? AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      // The caller's deadline: its own reason, as the store contract asks.
      if (signal?.aborted) throw signal.reason;
      // Transient: the generator retries. undici's "fetch failed" holds the network error (ECONNREFUSED) as its
      // cause, which the generator's messages read through the chain of causes.
      const reason = (error as { cause?: unknown }).cause ?? error;
      throw new Error(`${method} ${url} failed: ${messageOf(reason)}`, { cause: error });
    }
    const parsed = parseJson(text);
    if (!response.ok) {
      throw errorFromResponse(response.status, parsed as ServerErrorBody | undefined, { method, url, bizTag });
    }
    if (parsed === undefined) throw this.malformed(`${method} /${LEAF_ROUTES[route].path}`, text);
    return parsed;
  }

  private row(value: unknown, what: string): LeafAllocRow {
    const { bizTag, step } = (value ?? {}) as Record<string, unknown>;
    if (typeof bizTag !== 'string' || typeof step !== 'number') throw this.malformed(what, value);
    return { bizTag, step };
  }

  private flag(body: unknown, field: string): boolean {
    const value = (body as Record<string, unknown>)[field];
    if (typeof value !== 'boolean') throw this.malformed(field, body);
    return value;
  }

  private malformed(what: string, body: unknown): LeafStoreError {
    const shown = typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body)?.slice(0, 200);
    return new LeafStoreError(
      `The ID server at ${this.base} answered ${what} with ${shown}, which is not what LeafServerModule answers. ` +
        'Check that baseUrl points at a nest-leaf server of the same version.',
    );
  }
}

function decimal(value: unknown): bigint | undefined {
  return typeof value === 'string' && /^\d{1,19}$/.test(value) ? BigInt(value) : undefined;
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isNoRow(error: unknown): boolean {
  return error instanceof UnknownBizTagError && error.similar === undefined;
}
