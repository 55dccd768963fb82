import { Catch, Inject, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { LeafError } from '../errors/leaf.error.js';
import { messageOf } from '../errors/error-message.js';
import { errorResponse, LeafServerHttpError, type LeafErrorResponse } from './server-errors.js';

const logger = new Logger('LeafServer');

/**
 * Answers every error of the server's JSON routes with `{ code, message, ... }` and its status, on Express and
 * Fastify alike (through Nest's `HttpAdapter`, never a platform's response object). Errors that are not the
 * library's are logged: they are the store failing, which the caller only sees as 503.
 */
@Catch()
export class LeafJsonErrorFilter implements ExceptionFilter {
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}

  catch(error: unknown, context: ArgumentsHost): void {
    const answer = logged(errorResponse(error), error);
    send(this.host, context, answer, answer.body);
  }
}

/**
 * Answers errors of Leaf's `GET /api/segment/get/:key` as that route answers IDs: `text/plain`, one line,
 * `<code>: <message>`, so a Leaf client that reads the body as text gets something it can log.
 */
@Catch()
export class LeafTextErrorFilter implements ExceptionFilter {
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}

  catch(error: unknown, context: ArgumentsHost): void {
    const answer = logged(errorResponse(error), error);
    const line = `${answer.body.code}: ${answer.body.message}`.replace(/\s*[\r\n]+\s*/g, ' ');
    send(this.host, context, answer, line, 'text/plain; charset=utf-8');
  }
}

function send(
  host: HttpAdapterHost,
  context: ArgumentsHost,
  answer: LeafErrorResponse,
  body: unknown,
  contentType?: string,
): void {
  const adapter = host.httpAdapter;
  const response: unknown = context.switchToHttp().getResponse();
  for (const [name, value] of Object.entries(answer.headers)) adapter.setHeader(response, name, value);
  adapter.setHeader(response, 'Cache-Control', 'no-store');
  if (contentType !== undefined) adapter.setHeader(response, 'Content-Type', contentType);
  adapter.reply(response, body, answer.status);
}

function logged(answer: LeafErrorResponse, error: unknown): LeafErrorResponse {
  if (answer.status >= 500 && !(error instanceof LeafServerHttpError)) {
    const kind = error instanceof LeafError ? error.name : 'store failure';
    logger.warn(`Answered ${answer.status} (${kind}): ${messageOf(error)}`);
  }
  return answer;
}
