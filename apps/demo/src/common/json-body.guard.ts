import {
  BadRequestException,
  HttpException,
  HttpStatus,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { Request, Response } from 'express';

/** The one media type the demo's request bodies come in. */
const JSON_TYPE = 'application/json';

/** The methods whose requests carry a body. */
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Refuses with 415 a request body that is not `Content-Type: application/json`: sent as a form (curl's `-d`
 * default) or as text, it would otherwise reach validation as an empty or all-strings object and come back as a
 * list of unrelated problems. Every body-taking route of the demo takes JSON; the 415 says so, in its message and
 * in `Accept-Post` / `Accept-Patch`. A request without a body at all gets one 400 (`MISSING_BODY`) for the same
 * reason: validation would list every property as missing, several times each.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    if (!WITH_BODY.has(request.method)) return true;
    const route = `${request.method} ${request.path}`;
    if (!hasBody(request)) {
      throw new BadRequestException({
        code: 'MISSING_BODY',
        message: `${route} takes a JSON object as its body (Content-Type: ${JSON_TYPE}); this request has none.`,
      });
    }
    if (request.is(JSON_TYPE)) return true;

    const accept = request.method === 'PATCH' ? 'Accept-Patch' : 'Accept-Post';
    http.getResponse<Response>().setHeader(accept, JSON_TYPE);
    const type = request.headers['content-type'];
    throw new HttpException(
      {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message:
          `${route} takes a JSON body, sent with the header "Content-Type: ${JSON_TYPE}"; ` +
          `this one came ${type === undefined ? 'without a Content-Type' : `as ${JSON.stringify(type)}`}. ` +
          `With curl: -H 'Content-Type: ${JSON_TYPE}' -d '{"…": …}'.`,
      },
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    );
  }
}

/** Whether the request carries body bytes: a chunked body, or a Content-Length above 0. */
function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}
