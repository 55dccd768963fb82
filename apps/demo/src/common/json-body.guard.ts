import {
  BadRequestException,
  HttpException,
  HttpStatus,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { withHeaders } from './error-response.js';

/** The one media type the demo's request bodies come in. */
export const JSON_TYPE = 'application/json';

/** The methods whose requests carry a body. */
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** What the guard reads of a request: the same on Express and on Fastify. */
interface BodyRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body?: unknown;
}

/**
 * Refuses with 415 a request body that is not `Content-Type: application/json` in UTF-8: sent as a form (curl's `-d`
 * default) or as text, it would otherwise reach validation as an empty or all-strings object and come back as a
 * list of unrelated problems. Every body-taking route of the demo takes JSON; the 415 says so, in its message and
 * in `Accept-Post` / `Accept-Patch`. A request without a body at all gets one 400 (`MISSING_BODY`) for the same
 * reason: validation would list every property as missing, several times each; so does JSON that is not an object
 * or an array (`null`, `42`), which Express refuses and Fastify reads.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<BodyRequest>();
    if (!WITH_BODY.has(request.method)) return true;
    const route = `${request.method} ${request.url.split('?')[0]}`;
    if (!hasBody(request)) throw new BadRequestException({ code: 'MISSING_BODY', message: missingBody(route) });

    const type = request.headers['content-type'];
    const [media, ...parameters] = (type ?? '').split(';').map((part) => part.trim().toLowerCase());
    if (media !== JSON_TYPE) {
      const accept = request.method === 'PATCH' ? 'Accept-Patch' : 'Accept-Post';
      throw withHeaders(
        new HttpException(
          { code: 'UNSUPPORTED_MEDIA_TYPE', message: notJsonBody(route, type) },
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        ),
        { [accept]: JSON_TYPE },
      );
    }
    const charset = parameters
      .find((p) => p.startsWith('charset='))
      ?.slice('charset='.length)
      .replace(/^"|"$/g, '');
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      throw new HttpException(
        {
          code: 'UNSUPPORTED_MEDIA_TYPE',
          message: `The body's charset ${JSON.stringify(charset)} is not read here: send JSON in UTF-8 (Content-Type: ${JSON_TYPE}).`,
        },
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      );
    }
    if (typeof request.body !== 'object' || request.body === null) {
      throw new BadRequestException({ code: 'MALFORMED_JSON', message: malformedJson(`got ${String(request.body)}`) });
    }
    return true;
  }
}

/** The 400 of a body-taking route called without a body. */
export function missingBody(route: string): string {
  return `${route} takes a JSON object as its body (Content-Type: ${JSON_TYPE}); this request has none.`;
}

/** The 415 of a body that is not JSON; `type` is the request's Content-Type, if any. */
export function notJsonBody(route: string, type: string | undefined): string {
  return (
    `${route} takes a JSON body, sent with the header "Content-Type: ${JSON_TYPE}"; ` +
    `this one came ${type === undefined ? 'without a Content-Type' : `as ${JSON.stringify(type)}`}. ` +
    `With curl: -H 'Content-Type: ${JSON_TYPE}' -d '{"…": …}'.`
  );
}

/** The 400 of a body that does not parse as a JSON object or array; `detail` is the parser's own words. */
export function malformedJson(detail: string): string {
  return `The body is not a JSON object or array (${detail}). Send one, with Content-Type: ${JSON_TYPE}.`;
}

/** Whether the request carries body bytes: a chunked body, or a Content-Length above 0. */
function hasBody(request: BodyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}
