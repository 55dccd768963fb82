import { Catch, Inject, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { LeafError } from '../errors/leaf.error.js';
import { messageOf } from '../errors/error-message.js';
import { sendErrorAnswer } from '../leaf-exception.filter.js';
import { errorResponse, LeafServerHttpError, type LeafErrorResponse } from './server-errors.js';

const logger = new Logger('LeafServer');

/**
 * Answers every error of the server's JSON routes with the library's error body (`LeafErrorBody`) and its status,
 * through the same sender as `LeafExceptionFilter`. Unlike that filter it keeps the message of a 500: its callers
 * are services whose operators must fix what it says (the server's table). Errors that are not the library's are
 * logged: they are the store failing, which the caller only sees as 503.
 */
@Catch()
export class LeafJsonErrorFilter implements ExceptionFilter {
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}

  catch(error: unknown, context: ArgumentsHost): void {
    const answer = logged(errorResponse(error), error);
    sendErrorAnswer(this.host.httpAdapter, context.switchToHttp().getResponse<unknown>(), answer);
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
    const response = context.switchToHttp().getResponse<unknown>();
    sendErrorAnswer(this.host.httpAdapter, response, answer, line, 'text/plain; charset=utf-8');
  }
}

function logged(answer: LeafErrorResponse, error: unknown): LeafErrorResponse {
  if (answer.status >= 500 && !(error instanceof LeafServerHttpError)) {
    const kind = error instanceof LeafError ? error.name : 'store failure';
    logger.warn(`Answered ${answer.status} (${kind}): ${messageOf(error)}`);
  }
  return answer;
}
