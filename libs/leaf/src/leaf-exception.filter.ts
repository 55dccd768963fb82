import { Catch, Inject, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost, type AbstractHttpAdapter } from '@nestjs/core';
import { LeafError } from './errors/leaf.error.js';
import { leafErrorAnswer, leafErrorStatus, type LeafErrorAnswer } from './protocol/leaf-error-answer.js';

/** What a 500 says instead of the library's message, which may quote the store's driver or the table's SQL. */
export const INTERNAL_ERROR_MESSAGE = 'The ID generator failed; see the server log.';

/**
 * Answers every `LeafError` a route throws with its HTTP status and a JSON body, the mapping `LeafServerModule`
 * answers with too (`leafErrorAnswer`): `{ statusCode, error, code, message, ...fields }`, the fields being the typed
 * error's own (`bizTag`, `similar`, `maxId` as a string, `step`, `argument`, `reason`, `existing`).
 *
 * | error | status |
 * | --- | --- |
 * | `InvalidArgumentError` | 400 |
 * | `LeafForbiddenError` | 403 |
 * | `UnknownBizTagError` | 404 |
 * | `IdOverflowError`, `BizTagExistsError` | 409 |
 * | `LeafUnavailableError` | 503, with `Retry-After: 1` |
 * | `LeafStoreError`, any other `LeafError` | 500: logged, and the body says only the code (`messageOf`) |
 *
 * It replies through Nest's `HttpAdapter`, so it works on Express and Fastify alike, and marks every answer
 * `Cache-Control: no-store`. Register it for the whole app:
 *
 * ```ts
 * providers: [{ provide: APP_FILTER, useClass: LeafExceptionFilter }]
 * ```
 * To word messages for your routes (say, to name your routes where the library names its methods), extend it and
 * override `messageOf`.
 */
@Catch(LeafError)
export class LeafExceptionFilter implements ExceptionFilter<LeafError> {
  protected readonly logger = new Logger('LeafExceptionFilter');

  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(error: LeafError, host: ArgumentsHost): void {
    const status = leafErrorStatus(error);
    if (status === 500) this.logger.error(`${error.code}: ${error.message}`, error.stack);
    const answer = leafErrorAnswer(error, this.messageOf(error, status));
    sendErrorAnswer(this.adapterHost.httpAdapter, host.switchToHttp().getResponse<unknown>(), answer);
  }

  /**
   * The `message` of the body. By default the library's own, which says how to fix the call, except for a 500:
   * that is the store's or the library's fault, and its message may quote the driver or the table's SQL, which the
   * log has and a caller should not.
   */
  protected messageOf(error: LeafError, status: number): string {
    return status === 500 ? INTERNAL_ERROR_MESSAGE : error.message;
  }
}

/**
 * Sends an error answer through Nest's HTTP adapter, never a platform's response object, so it reads the same on
 * Express and Fastify: its headers, `Cache-Control: no-store` (an error about IDs is true only now), and `body`
 * (the answer's JSON body unless given) as `contentType`. A route's own `@Header` ran before it threw, so the type is
 * always set here.
 */
export function sendErrorAnswer(
  adapter: AbstractHttpAdapter,
  response: unknown,
  answer: LeafErrorAnswer,
  body: unknown = answer.body,
  contentType = 'application/json; charset=utf-8',
): void {
  for (const [name, value] of Object.entries(answer.headers)) adapter.setHeader(response, name, value);
  adapter.setHeader(response, 'Cache-Control', 'no-store');
  adapter.setHeader(response, 'Content-Type', contentType);
  adapter.reply(response, body, answer.status);
}
