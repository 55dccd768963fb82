import { STATUS_CODES } from 'node:http';
import { BizTagExistsError } from '../errors/biz-tag-exists.error.js';
import { IdOverflowError } from '../errors/id-overflow.error.js';
import { InvalidArgumentError } from '../errors/invalid-argument.error.js';
import { LeafForbiddenError } from '../errors/leaf-forbidden.error.js';
import type { LeafError } from '../errors/leaf.error.js';
import { LeafUnavailableError } from '../errors/leaf-unavailable.error.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import { GaplessBusyError } from '../errors/gapless-busy.error.js';
import { LEAF_ERROR_STATUS, LEAF_RETRY_AFTER_SECONDS, type LeafErrorBody } from './leaf-protocol.js';

/** What an error is answered with over HTTP: the status, the JSON body and the headers to send. */
export interface LeafErrorAnswer {
  readonly status: number;
  readonly body: LeafErrorBody;
  readonly headers: Readonly<Record<string, string>>;
}

/** The fields of a typed error that a body carries besides `code` and `message`. */
export type LeafErrorFields = Omit<LeafErrorBody, 'statusCode' | 'error' | 'code' | 'message'>;

/**
 * The HTTP status of a library error: `InvalidArgumentError` 400, `LeafForbiddenError` 403, `UnknownBizTagError`
 * 404, `IdOverflowError` and `BizTagExistsError` 409, `LeafUnavailableError` and `GaplessBusyError` 503, `LeafStoreError` and any other
 * `LeafError` 500 (see `LEAF_ERROR_STATUS`).
 */
export function leafErrorStatus(error: LeafError): number {
  return (LEAF_ERROR_STATUS as Readonly<Record<string, number>>)[error.code] ?? 500;
}

/**
 * The one mapping of a `LeafError` to HTTP, used by `LeafExceptionFilter` and by `LeafServerModule`: its status, a
 * body with its `code`, `message` and own fields (so `HttpLeafStore` can throw it again on the far side), and
 * `Retry-After` on a 503, since the generator recovers on its own.
 *
 * @param message what the body says: the error's own message unless the caller words it for its audience
 */
export function leafErrorAnswer(error: LeafError, message: string = error.message): LeafErrorAnswer {
  return errorAnswer(leafErrorStatus(error), error.code, message, fieldsOf(error));
}

/** An answer of the protocol's shape for any status and code (the server's own refusals, Nest's errors). */
export function errorAnswer(
  status: number,
  code: string,
  message: string,
  fields: LeafErrorFields = {},
  headers: Readonly<Record<string, string>> = {},
): LeafErrorAnswer {
  const body: LeafErrorBody = { statusCode: status, error: STATUS_CODES[status] ?? 'Error', code, message, ...fields };
  const retry: Record<string, string> = status === 503 ? { 'Retry-After': String(LEAF_RETRY_AFTER_SECONDS) } : {};
  return { status, body, headers: { ...retry, ...headers } };
}

function fieldsOf(error: LeafError): LeafErrorFields {
  if (error instanceof UnknownBizTagError) {
    return { bizTag: error.bizTag, ...(error.similar !== undefined && { similar: error.similar }) };
  }
  // maxId as a string: a JSON number loses digits past 2^53.
  if (error instanceof IdOverflowError) return { bizTag: error.bizTag, maxId: String(error.maxId), step: error.step };
  if (error instanceof BizTagExistsError) return { bizTag: error.bizTag, existing: error.existing };
  if (error instanceof InvalidArgumentError) return { argument: error.argument };
  if (error instanceof LeafUnavailableError || error instanceof GaplessBusyError) {
    return { bizTag: error.bizTag, reason: error.reason };
  }
  if (error instanceof LeafForbiddenError && error.bizTag !== null) return { bizTag: error.bizTag };
  return {};
}
