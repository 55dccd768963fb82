import type { HttpException } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import type { ErrorBody } from './error-body.js';

/** Headers an error answer must carry (`Allow`, `WWW-Authenticate`, `Accept-Post`), attached where it is thrown. */
const HEADERS = new WeakMap<HttpException, Readonly<Record<string, string>>>();

/**
 * Attaches response headers to an exception, for `HttpErrorFilter` to send: a guard or a controller throws, and
 * never writes to the response itself, which is an Express `Response` or a Fastify `Reply` depending on the platform.
 */
export function withHeaders<E extends HttpException>(exception: E, headers: Readonly<Record<string, string>>): E {
  HEADERS.set(exception, { ...HEADERS.get(exception), ...headers });
  return exception;
}

export function headersOf(exception: HttpException): Readonly<Record<string, string>> {
  return HEADERS.get(exception) ?? {};
}

/**
 * Sends an error body as JSON through Nest's HTTP adapter, so it reads the same on Express and on Fastify. Routes
 * that answer `text/plain` (the Leaf-compatible one) set their Content-Type before running; errors are JSON all the same.
 */
export function sendError(
  adapter: AbstractHttpAdapter,
  response: unknown,
  status: number,
  body: ErrorBody | object,
  headers: Readonly<Record<string, string>> = {},
): void {
  for (const [name, value] of Object.entries(headers)) adapter.setHeader(response, name, value);
  adapter.setHeader(response, 'Content-Type', 'application/json; charset=utf-8');
  adapter.reply(response, body, status);
}
