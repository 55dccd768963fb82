import { describeValue } from '../errors/describe-value.js';
import { HttpException } from '@nestjs/common';
import { BizTagExistsError } from '../errors/biz-tag-exists.error.js';
import { IdOverflowError } from '../errors/id-overflow.error.js';
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import { LeafError } from '../errors/leaf.error.js';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { LeafUnavailableError } from '../errors/leaf-unavailable.error.js';
import { describeStoreFailure } from '../errors/store-failure.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';

/**
 * A refusal of the server itself (authentication, permission, rate limit, a malformed body), with its HTTP status
 * and the `code` of the JSON error body.
 */
export class LeafServerHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'LeafServerHttpError';
  }

  static unauthorized(message: string): LeafServerHttpError {
    // RFC 6750: a 401 names the scheme the client should use.
    return new LeafServerHttpError(401, 'LEAF_UNAUTHORIZED', message, {
      'WWW-Authenticate': 'Bearer realm="nest-leaf"',
    });
  }

  static forbidden(message: string): LeafServerHttpError {
    return new LeafServerHttpError(403, 'LEAF_FORBIDDEN', message);
  }

  /** The client's `tags` do not reach the row `bizTag` (see `TagAccess`). */
  static tagNotAllowed(client: string, bizTag: string): LeafServerHttpError {
    return LeafServerHttpError.forbidden(
      `Client "${client}" may not use the tag ${describeValue(bizTag)}: add it to the tags of that client in ` +
        "LeafServerModule's clients, or use the tag it was given. (A row <tag>:<date> is reached only through a " +
        "period tag of the client's that the server's bizTags configure with that period, and a real date of it.)",
    );
  }

  static badRequest(message: string): LeafServerHttpError {
    return new LeafServerHttpError(400, 'LEAF_INVALID_ARGUMENT', message);
  }

  /**
   * A give-back of a range this server did not hand to that client, or handed and already took back: applying it
   * could move `max_id` below IDs other services hold. Nothing changed; the tail, if any, stays a gap.
   */
  static giveBackRefused(client: string, bizTag: string, end: bigint): LeafServerHttpError {
    return new LeafServerHttpError(
      409,
      'LEAF_GIVE_BACK_REFUSED',
      `No range of "${bizTag}" ending at ${end} is waiting to come back from client "${client}": a client gives back only ` +
        'the unused rest of a range this server reserved for it, once (a server restarted since forgets them). ' +
        'Nothing was changed; the IDs stay a gap.',
    );
  }

  static tooManyUnknownTags(client: string, limit: number, retryAfterSeconds: number): LeafServerHttpError {
    return new LeafServerHttpError(
      429,
      'LEAF_TOO_MANY_UNKNOWN_TAGS',
      `${client} asked for ${limit} tags without a leaf_alloc row within a minute (maxUnknownTagsPerMinute); tags ` +
        `this server does not know yet are refused for ${retryAfterSeconds} s. Check the tag names the client sends.`,
      { 'Retry-After': String(retryAfterSeconds) },
    );
  }
}

/** What an error is answered with: the status, the JSON body (`code`, `message` and the error's own fields), headers. */
export interface LeafErrorResponse {
  readonly status: number;
  readonly body: { readonly code: string; readonly message: string; readonly [field: string]: unknown };
  readonly headers: Readonly<Record<string, string>>;
}

/** Seconds a client is told to wait after a 503: the generator's own retry backoff starts at 100 ms anyway. */
const RETRY_AFTER = { 'Retry-After': '1' };

/**
 * The HTTP answer to an error of a route: the library's typed errors keep their fields, so `HttpLeafStore` can
 * throw the same errors again on the client (`UnknownBizTagError` 404 with `similar`, `IdOverflowError` 409 with
 * `maxId` and `step`, `LeafStoreError` 500, `InvalidArgumentError` 400, `LeafUnavailableError` 503). Anything else
 * comes from the store's driver (a lost connection, a timeout): 503, worth retrying, as the store contract says.
 */
export function errorResponse(error: unknown): LeafErrorResponse {
  if (error instanceof LeafServerHttpError) {
    return { status: error.status, body: { code: error.code, message: error.message }, headers: error.headers };
  }
  if (error instanceof UnknownBizTagError) {
    const { code, message, bizTag, similar } = error;
    return reply(404, { code, message, bizTag, ...(similar !== undefined && { similar }) });
  }
  if (error instanceof IdOverflowError) {
    const { code, message, bizTag, maxId, step } = error;
    return reply(409, { code, message, bizTag, maxId: String(maxId), step });
  }
  if (error instanceof BizTagExistsError) {
    const { code, message, bizTag, existing } = error;
    return reply(409, { code, message, bizTag, existing });
  }
  if (error instanceof InvalidArgumentError) {
    const { code, message, argument } = error;
    return reply(400, { code, message, argument });
  }
  if (error instanceof LeafUnavailableError) {
    const { code, message, bizTag, reason } = error;
    return reply(503, { code, message, bizTag, reason }, RETRY_AFTER);
  }
  if (error instanceof LeafStoreError || error instanceof LeafError) {
    return reply(500, { code: error.code, message: error.message });
  }
  if (error instanceof HttpException) {
    // Nest's own refusals (a body too large, a route's parsing): a 4xx the caller must fix, else the server's fault.
    const status = error.getStatus();
    const code = status === 400 ? 'LEAF_INVALID_ARGUMENT' : `LEAF_HTTP_${status}`;
    return reply(status, { code, message: error.message });
  }
  return reply(
    503,
    {
      code: 'LEAF_UNAVAILABLE',
      message: `The store failed (${describeStoreFailure(error)}); the call may be retried.`,
      reason: 'unreachable',
    },
    RETRY_AFTER,
  );
}

function reply(
  status: number,
  body: LeafErrorResponse['body'],
  headers: Readonly<Record<string, string>> = {},
): LeafErrorResponse {
  return { status, body, headers };
}
