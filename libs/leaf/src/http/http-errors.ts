import { IdOverflowError } from '../errors/id-overflow.error.js';
import { LeafForbiddenError } from '../errors/leaf-forbidden.error.js';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import {
  LEAF_API_PREFIX,
  LEAF_ERROR_STATUS,
  type LeafErrorCode,
  type UncheckedErrorBody,
} from '../protocol/leaf-protocol.js';

/** An error body of `LeafServerModule` (`LeafErrorBody`), unchecked; anything else (a proxy's page) has no `code`. */
export type ServerErrorBody = UncheckedErrorBody;

/** The server would not take a tail back (409 `LEAF_GIVE_BACK_REFUSED`); `giveBack` resolves false for it. */
export class GiveBackRefused extends Error {
  override readonly name = 'GiveBackRefused';
}

/** Where a failed request went, for messages. */
export interface FailedRequest {
  readonly method: string;
  readonly url: string;
  /** The tag the call was for, if any. */
  readonly bizTag?: string;
}

/**
 * The error a `LeafStore` call throws for an HTTP answer that is not a success, chosen so that the generator's
 * retry logic works as it does on a database:
 * - 404 `LEAF_UNKNOWN_BIZ_TAG` → `UnknownBizTagError` (with `similar`); 409 `LEAF_ID_OVERFLOW` → `IdOverflowError`
 *   (with `maxId` and `step`): refused at once, as the server's store refused them;
 * - 403 → `LeafForbiddenError`: the token is valid but not allowed that tag or route, which the service's caller
 *   hears as such (a typed 403, not a 500);
 * - 400, 401, 500 `LEAF_STORE` and any other 4xx → `LeafStoreError` saying what to fix (the token, the server's
 *   table): retrying cannot cure them;
 * - 429, 502, 503, 504 and other 5xx → a plain `Error`: transient (the server restarting, its database failing
 *   over, a proxy between), retried with backoff while the generator serves from memory.
 */
export function errorFromResponse(status: number, body: ServerErrorBody | undefined, request: FailedRequest): Error {
  const code = typeof body?.code === 'string' ? body.code : undefined;
  // A code counts only with the status the protocol gives it: a proxy's 404 page that happens to say it does not.
  const is = (expected: LeafErrorCode) => code === expected && status === LEAF_ERROR_STATUS[expected];
  const serverMessage = typeof body?.message === 'string' ? body.message : undefined;
  const where = `${request.method} ${request.url} answered ${status}`;
  // Sentences of ours follow the server's, so its closing period goes.
  const said = serverMessage === undefined ? '' : `: ${serverMessage.replace(/\.$/, '')}`;
  if (is('LEAF_UNKNOWN_BIZ_TAG')) {
    const bizTag = typeof body?.bizTag === 'string' ? body.bizTag : (request.bizTag ?? '');
    const similar = typeof body?.similar === 'string' ? body.similar : undefined;
    return new UnknownBizTagError(bizTag, serverMessage, similar);
  }
  if (is('LEAF_ID_OVERFLOW') && typeof body?.maxId === 'string' && typeof body.step === 'number') {
    const bizTag = typeof body.bizTag === 'string' ? body.bizTag : (request.bizTag ?? '');
    return new IdOverflowError(bizTag, BigInt(body.maxId), body.step);
  }
  if (is('LEAF_GIVE_BACK_REFUSED')) return new GiveBackRefused(`${where}${said}`);
  if (status === LEAF_ERROR_STATUS.LEAF_UNAUTHORIZED) {
    return new LeafStoreError(
      `${where}: the server refused the token${said}. Give HttpLeafStore the token of a client configured in the ` +
        "server's LeafServerModule clients.",
    );
  }
  if (status === LEAF_ERROR_STATUS.LEAF_FORBIDDEN) {
    return new LeafForbiddenError(
      request.bizTag ?? null,
      `${where}: the token is valid but not allowed this${said}. Add the tag to that client's tags on the server, ` +
        'or give it admin: true for creating rows and setting steps.',
    );
  }
  if (status === 404 && code === undefined) {
    return new LeafStoreError(
      `${where}: no such route. Check HttpLeafStore's baseUrl: it should be the address of an app that imports ` +
        `LeafServerModule (routes under /${LEAF_API_PREFIX}), without a path the app does not have.`,
    );
  }
  if (is('LEAF_STORE')) {
    return new LeafStoreError(`The ID server's store cannot be used (${where})${said}`);
  }
  if (status === 429 || status >= 500) return new Error(`${where}${said}; the call may be retried.`);
  return new LeafStoreError(`${where}: the server refused the request${said}`);
}
