import { Catch, HttpException, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { errorBody } from './error-body.js';

/**
 * Gives Nest's HTTP errors (validation, pipes, guards, unknown routes, unreadable requests) the body of every
 * other demo error, `code` included. A thrower sets its own code with `new XxxException({ code, message })`;
 * otherwise the code is the status's name (`NOT_FOUND`, `TOO_MANY_REQUESTS`). A body without a message is a
 * document of its own, such as terminus' health report on a 503, and goes out as it is.
 */
@Catch(HttpException)
export class HttpErrorFilter implements ExceptionFilter<HttpException> {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const status = exception.getStatus();
    const body = exception.getResponse();
    if (typeof body === 'object' && !('message' in body)) {
      response.status(status).json(body);
      return;
    }
    const thrown = (typeof body === 'string' ? { message: body } : body) as {
      message: string | string[];
      code?: unknown;
    };
    const { code, message } = unreadableRequest(exception.cause) ?? {
      code: typeof thrown.code === 'string' ? thrown.code : (HttpStatus[status] ?? 'HTTP_ERROR'),
      message: thrown.message,
    };
    // Routes that answer text/plain (the Leaf-compatible one) have set Content-Type already: errors are JSON.
    response
      .status(status)
      .type('application/json')
      .json(errorBody(status, code, message));
  }
}

/**
 * What Express failed to read, which Nest's adapter wraps in an HttpException with the original as `cause`:
 * body-parser's errors (http-errors with a `type`) and a path with a broken percent-encoding. Their own messages
 * ("request entity too large", "Failed to decode param") do not say what to change.
 */
function unreadableRequest(cause: unknown): { code: string; message: string } | undefined {
  if (cause instanceof URIError) {
    return { code: 'MALFORMED_URL', message: `The URL is not valid percent-encoded UTF-8 (${cause.message}).` };
  }
  const error = cause as
    { type?: unknown; message?: unknown; length?: unknown; limit?: unknown; charset?: unknown } | undefined;
  switch (error?.type) {
    case 'entity.parse.failed':
      return {
        code: 'MALFORMED_JSON',
        message: `The body is not a JSON object or array (${String(error.message)}). Send one, with Content-Type: application/json.`,
      };
    case 'charset.unsupported':
      return {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: `The body's charset ${JSON.stringify(String(error.charset ?? ''))} is not read here: send JSON in UTF-8 (Content-Type: application/json).`,
      };
    case 'entity.too.large':
      return {
        code: 'PAYLOAD_TOO_LARGE',
        message: `The body has ${String(error.length)} bytes, more than the limit of ${String(error.limit)}.`,
      };
    default:
      return undefined;
  }
}
