import type { BizTagExistsError } from '../errors/biz-tag-exists.error.js';
import type { IdOverflowError } from '../errors/id-overflow.error.js';
import type { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import type { LeafForbiddenError } from '../errors/leaf-forbidden.error.js';
import type { LeafStoreError } from '../errors/leaf-store.error.js';
import type { LeafUnavailableError } from '../errors/leaf-unavailable.error.js';
import type { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import type { GaplessBusyError } from '../errors/gapless-busy.error.js';

/**
 * The wire protocol between `LeafServerModule` (`nest-leaf/server`) and `HttpLeafStore` (`nest-leaf/http`): routes,
 * bodies, error codes and their statuses, in one Nest-free file that both halves import, so that they agree by
 * construction rather than by test. IDs travel as decimal strings (a JSON number loses digits past 2^53), steps and
 * counts as JSON numbers.
 */

/** Where every route lives: `https://ids.internal/api/segment/...` (Meituan Leaf's own prefix). */
export const LEAF_API_PREFIX = 'api/segment';

/**
 * Every route of the server, by the `LeafStore` method (or Leaf's route) it carries: its method and its path under
 * `LEAF_API_PREFIX`, with the tag as `:key`.
 */
export const LEAF_ROUTES = {
  /** Meituan Leaf's route: the next ID (or `?count=N` IDs, one per line) as `text/plain`. HEAD spends nothing. */
  leafGet: { method: 'GET', path: 'get/:key' },
  reserve: { method: 'POST', path: 'reserve/:key' },
  listTags: { method: 'GET', path: 'tags' },
  findTag: { method: 'GET', path: 'tags/:key' },
  createTags: { method: 'POST', path: 'tags' },
  insertTag: { method: 'POST', path: 'tags/:key' },
  setStep: { method: 'PUT', path: 'tags/:key/step' },
  giveBack: { method: 'POST', path: 'give-back/:key' },
  /** Not a store method: what the server's own generator holds, per tag (`npx nest-leaf inspect`). Admin only. */
  inspect: { method: 'GET', path: 'inspect' },
} as const;

/** A route of the protocol, by the `LeafStore` method it carries (`leafGet` for Leaf's own). */
export type LeafRouteName = keyof typeof LEAF_ROUTES;

/** The path of a route under the prefix, `:key` replaced by the tag percent-encoded: `/reserve/invoice%3A2026`. */
export function leafRoutePath(route: LeafRouteName, bizTag?: string): string {
  const { path } = LEAF_ROUTES[route];
  return `/${bizTag === undefined ? path : path.replace(':key', encodeURIComponent(bizTag))}`;
}

/** `POST reserve/:key`: how many IDs, 1 to the server's `maxStep`. */
export interface ReserveRequestBody {
  readonly step: number;
}

/** The range a caller reserved, `[start, end)`, as decimal strings. */
export interface ReservedRangeBody {
  readonly start: string;
  readonly end: string;
}

/** A row as the server shows it (`findTag`, and each row of `listTags`). */
export interface TagRowBody {
  readonly bizTag: string;
  readonly step: number;
}

/** `GET tags`: the rows the client's tags reach. */
export interface TagListBody {
  readonly rows: readonly TagRowBody[];
}

/** `POST tags`: rows to create at `max_id` 1 where missing. */
export interface CreateTagsRequestBody {
  readonly rows: ReadonlyArray<{ readonly tag: string; readonly step: number; readonly description?: string | null }>;
}

/** `POST tags/:key`: a row at a `max_id` of the caller's choosing. */
export interface InsertTagRequestBody {
  readonly maxId: string;
  readonly step: number;
  readonly description?: string | null;
}

/** `PUT tags/:key/step`. */
export interface SetStepRequestBody {
  readonly step: number;
}

/** `POST give-back/:key`: the unused rest `[firstUnused, end)` of a range the server handed this client. */
export interface GiveBackRequestBody {
  readonly firstUnused: string;
  readonly end: string;
}

/** `POST tags`: the missing rows were created (the others left as they were). */
export interface CreatedBody {
  readonly created: true;
}
/** `POST tags/:key`: whether the row was inserted (false: it existed, and was left as it was). */
export interface InsertedBody {
  readonly inserted: boolean;
}
/** `PUT tags/:key/step`: whether a row of exactly that name had its step changed. */
export interface UpdatedBody {
  readonly updated: boolean;
}
/** `POST give-back/:key`: whether `max_id` went back to `firstUnused` (the compare-and-set held). */
export interface GivenBackBody {
  readonly givenBack: boolean;
}

/** A range `[start, end)` as decimal strings. */
export interface RangeBody {
  readonly start: string;
  readonly end: string;
}

/**
 * `GET inspect`: one tag's figures in the server's generator (`IdGenerator.inspect()`), IDs as decimal strings and
 * times as ISO 8601; a period tag as its current period's row.
 */
export interface InspectTagBody {
  readonly tag: string;
  /** The `leaf_alloc` row the figures are of: the tag, or its current period's (`invoice:20261201`). */
  readonly row: string;
  readonly period: string;
  readonly configured: boolean;
  readonly current: RangeBody | null;
  /** The ID the next call gets; null before the first segment. */
  readonly nextPosition: string | null;
  readonly remaining: string;
  readonly next: RangeBody | null;
  readonly nextReady: boolean;
  /** IDs in memory, current and next segments together. */
  readonly available: string;
  readonly loading: boolean;
  readonly step: number;
  readonly baseStep: number;
  readonly idsIssued: number;
  readonly reservations: number;
  readonly lastReservationAt: string | null;
  readonly lastReservationOk: boolean;
  readonly consecutiveFailures: number;
  readonly lastError: { readonly message: string; readonly at: string } | null;
  /** How long the IDs in memory last at the tag's peak rate, ms; null before a rate is known. */
  readonly runwayMs: number | null;
  readonly runwayTargetMs: number;
  /** `up`, `degraded` or `down`, and why in words: what `nest-leaf/health` and the metrics say too. */
  readonly health: { readonly status: string; readonly reason: string };
}

/** `GET inspect`: whether the generator runs, and the tags the admin client's tags reach. */
export interface InspectBody {
  readonly running: boolean;
  readonly tags: readonly InspectTagBody[];
}

/** The codes of the library's typed errors: the table below must give each a status (checked by the compiler). */
type TypedErrorCode = (
  | InvalidArgumentError
  | LeafForbiddenError
  | UnknownBizTagError
  | IdOverflowError
  | BizTagExistsError
  | LeafStoreError
  | LeafUnavailableError
  | GaplessBusyError
)['code'];

/**
 * The HTTP status of every error `code` the protocol answers: the library's typed errors, and the server's own
 * refusals (`LEAF_UNAUTHORIZED`, `LEAF_GIVE_BACK_REFUSED`, `LEAF_TOO_MANY_UNKNOWN_TAGS`). Any other `LeafError` is
 * a 500; Nest's own refusals keep their status, with the code `LEAF_HTTP_<status>`.
 */
export const LEAF_ERROR_STATUS = {
  LEAF_INVALID_ARGUMENT: 400,
  LEAF_UNAUTHORIZED: 401,
  LEAF_FORBIDDEN: 403,
  LEAF_UNKNOWN_BIZ_TAG: 404,
  // The tag's sequence reached 2^63-1: a state of the resource that no retry changes.
  LEAF_ID_OVERFLOW: 409,
  LEAF_BIZ_TAG_EXISTS: 409,
  LEAF_GIVE_BACK_REFUSED: 409,
  LEAF_TOO_MANY_UNKNOWN_TAGS: 429,
  LEAF_STORE: 500,
  LEAF_UNAVAILABLE: 503,
  // Retryable, by running the caller's transaction again.
  LEAF_GAPLESS_BUSY: 503,
} as const satisfies Record<
  TypedErrorCode | 'LEAF_UNAUTHORIZED' | 'LEAF_GIVE_BACK_REFUSED' | 'LEAF_TOO_MANY_UNKNOWN_TAGS',
  number
>;

/** A `code` the protocol gives a status of its own (see `LEAF_ERROR_STATUS`). */
export type LeafErrorCode = keyof typeof LEAF_ERROR_STATUS;

/** Seconds a client is told to wait after a 503 (`Retry-After`): the generator's own retry backoff starts at 100 ms. */
export const LEAF_RETRY_AFTER_SECONDS = 1;

/**
 * The JSON body of every error: Nest's own shape (`statusCode`, `error`), the stable `code` to branch on and the
 * `message` saying how to fix it, then the fields of the typed error, so a client can throw the same error again.
 */
export interface LeafErrorBody {
  /** The HTTP status, repeated. */
  readonly statusCode: number;
  /** The status's reason phrase (`Not Found`). */
  readonly error: string;
  /** `LEAF_*`: see `LEAF_ERROR_STATUS`. */
  readonly code: string;
  readonly message: string;
  /** The tag concerned (`UnknownBizTagError`, `IdOverflowError`, `BizTagExistsError`, `LeafUnavailableError`, …). */
  readonly bizTag?: string;
  /** `UnknownBizTagError`: the row another spelling matched under the table's collation. */
  readonly similar?: string;
  /** `IdOverflowError`: the row's `max_id`, as a decimal string. */
  readonly maxId?: string;
  /** `IdOverflowError`: the step that would have passed 2^63-1. */
  readonly step?: number;
  /** `InvalidArgumentError`: the argument refused (`bizTag`, `count`, `step`, …). */
  readonly argument?: string;
  /**
   * `LeafUnavailableError`: `timeout`, `overloaded`, `shutting-down` or `unreachable`; `GaplessBusyError`: `timeout` or
   * `conflict`.
   */
  readonly reason?: string;
  /** `BizTagExistsError`: the row found, of another spelling when the collation matched one. */
  readonly existing?: string;
}

/** An error body as read off the network: nothing in it is trusted until checked. */
export type UncheckedErrorBody = { readonly [K in keyof LeafErrorBody]?: unknown };
