import { describeValue } from '../errors/describe-value.js';
import { HttpException } from '@nestjs/common';
import { LeafError } from '../errors/leaf.error.js';
import { describeStoreFailure } from '../errors/store-failure.js';
import { errorAnswer, leafErrorAnswer, type LeafErrorAnswer } from '../protocol/leaf-error-answer.js';
import { LEAF_ERROR_STATUS, type LeafErrorCode } from '../protocol/leaf-protocol.js';

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
    return LeafServerHttpError.of('LEAF_UNAUTHORIZED', message, {
      'WWW-Authenticate': 'Bearer realm="nest-leaf"',
    });
  }

  static forbidden(message: string): LeafServerHttpError {
    return LeafServerHttpError.of('LEAF_FORBIDDEN', message);
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
    return LeafServerHttpError.of('LEAF_INVALID_ARGUMENT', message);
  }

  /**
   * A give-back of a range this server did not hand to that client, or handed and already took back: applying it
   * could move `max_id` below IDs other services hold. Nothing changed; the tail, if any, stays a gap.
   */
  static giveBackRefused(client: string, bizTag: string, end: bigint): LeafServerHttpError {
    return LeafServerHttpError.of(
      'LEAF_GIVE_BACK_REFUSED',
      `No range of "${bizTag}" ending at ${end} is waiting to come back from client "${client}": a client gives back only ` +
        'the unused rest of a range this server reserved for it, once (a server restarted since forgets them). ' +
        'Nothing was changed; the IDs stay a gap.',
    );
  }

  static tooManyUnknownTags(client: string, limit: number, retryAfterSeconds: number): LeafServerHttpError {
    return LeafServerHttpError.of(
      'LEAF_TOO_MANY_UNKNOWN_TAGS',
      `${client} asked for ${limit} tags without a leaf_alloc row within a minute (maxUnknownTagsPerMinute); tags ` +
        `this server does not know yet are refused for ${retryAfterSeconds} s. Check the tag names the client sends.`,
      { 'Retry-After': String(retryAfterSeconds) },
    );
  }

  /** A refusal with the status the protocol gives its code, so the client reads it back by the same table. */
  private static of(
    code: LeafErrorCode,
    message: string,
    headers?: Readonly<Record<string, string>>,
  ): LeafServerHttpError {
    return new LeafServerHttpError(LEAF_ERROR_STATUS[code], code, message, headers);
  }
}

/** What an error is answered with: the status, the JSON body (`LeafErrorBody`), the headers. */
export type LeafErrorResponse = LeafErrorAnswer;

/**
 * The HTTP answer to an error of a route. The library's typed errors go through the one mapping of the library
 * (`leafErrorAnswer`, as `LeafExceptionFilter` answers them), keeping their fields and their messages, so
 * `HttpLeafStore` can throw the same errors again on the client and say what to fix. Anything else comes from the
 * store's driver (a lost connection, a timeout): 503, worth retrying, as the store contract says.
 */
export function errorResponse(error: unknown): LeafErrorResponse {
  if (error instanceof LeafServerHttpError) {
    return errorAnswer(error.status, error.code, error.message, {}, error.headers);
  }
  if (error instanceof LeafError) return leafErrorAnswer(error);
  if (error instanceof HttpException) {
    // Nest's own refusals (a body too large, a route's parsing): a 4xx the caller must fix, else the server's fault.
    const status = error.getStatus();
    const code = status === 400 ? 'LEAF_INVALID_ARGUMENT' : `LEAF_HTTP_${status}`;
    return errorAnswer(status, code, error.message);
  }
  return errorAnswer(
    LEAF_ERROR_STATUS.LEAF_UNAVAILABLE,
    'LEAF_UNAVAILABLE',
    `The store failed (${describeStoreFailure(error)}); the call may be retried.`,
    { reason: 'unreachable' },
  );
}
