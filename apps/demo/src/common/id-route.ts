import { MethodNotAllowedException } from '@nestjs/common';
import { withHeaders } from './error-response.js';

/**
 * The `Cache-Control` of every answer that carries a freshly issued ID: a cache or a browser that replayed it would
 * hand one ID to two callers.
 */
export const NO_STORE = 'no-store';

/**
 * The answer to `HEAD` on a route that issues IDs. Express and Fastify serve `HEAD` with the `GET` handler and drop
 * the body, so each `HEAD` from a link checker or a proxy would spend an ID that nobody sees. Such routes declare an
 * `@Head` handler before their `@Get` one that calls this: 405 with `Allow: GET`, and no ID spent.
 */
export function refuseHead(): never {
  throw withHeaders(
    new MethodNotAllowedException({
      code: 'METHOD_NOT_ALLOWED',
      message: 'HEAD is not served here: answering it as GET does would spend an ID that nobody sees. Use GET.',
    }),
    { Allow: 'GET', 'Cache-Control': NO_STORE },
  );
}
