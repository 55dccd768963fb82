import type { IncomingHttpHeaders } from 'node:http';
import { Catch, HttpException, HttpStatus, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { errorBody } from './error-body.js';
import { headersOf, sendError } from './error-response.js';
import { unreadableRequest } from './unreadable-request.js';

/**
 * Gives Nest's HTTP errors (validation, pipes, guards, unknown routes, unreadable requests) the body of every
 * other demo error, `code` included. A thrower sets its own code with `new XxxException({ code, message })`;
 * otherwise the code is the status's name (`NOT_FOUND`, `TOO_MANY_REQUESTS`). A body without a message is a
 * document of its own, such as terminus' health report on a 503, and goes out as it is.
 */
@Catch(HttpException)
export class HttpErrorFilter implements ExceptionFilter<HttpException> {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: HttpException, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const adapter = this.adapterHost.httpAdapter;
    const response = http.getResponse<unknown>();
    const status = exception.getStatus();
    const body = exception.getResponse();
    if (typeof body === 'object' && !('message' in body)) {
      sendError(adapter, response, status, body, headersOf(exception));
      return;
    }
    const thrown = (typeof body === 'string' ? { message: body } : body) as {
      message: string | string[];
      code?: unknown;
    };
    const request = http.getRequest<{ headers: IncomingHttpHeaders }>();
    const unreadable = unreadableRequest(exception.cause ?? thrown, {
      method: adapter.getRequestMethod(request),
      path: adapter.getRequestUrl(request).split('?')[0],
      contentType: request.headers['content-type'],
    });
    const code =
      unreadable?.code ?? (typeof thrown.code === 'string' ? thrown.code : (HttpStatus[status] ?? 'HTTP_ERROR'));
    const message = unreadable?.message ?? thrown.message;
    sendError(adapter, response, status, errorBody(status, code, message), {
      ...headersOf(exception),
      ...unreadable?.headers,
    });
  }
}
