import { JSON_TYPE, malformedJson, missingBody, notJsonBody } from './json-body.guard.js';

/** What the filter answers instead of the platform's own words: a code, a message that says what to change, headers. */
export interface Unreadable {
  readonly code: string;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The request an unreadable body or URL came with, for the message. */
export interface RequestLine {
  readonly method: string;
  readonly path: string;
  readonly contentType: string | undefined;
}

/**
 * What the platform failed to read before any handler ran, which Nest's adapter wraps in an HttpException with the
 * original as `cause`: on Express body-parser's errors (http-errors with a `type`) and a broken percent-encoding
 * (URIError); on Fastify its `FST_ERR_*` errors (the cause, or for a bad URL the exception's own body). Their own messages ("request entity too large", "Failed to decode
 * param", "Unsupported Media Type") do not say what to change.
 */
export function unreadableRequest(cause: unknown, request: RequestLine): Unreadable | undefined {
  if (cause instanceof URIError) return malformedUrl(cause.message);
  const error = cause as
    | { type?: unknown; code?: unknown; message?: unknown; length?: unknown; limit?: unknown; charset?: unknown }
    | undefined;
  switch (error?.type ?? error?.code) {
    case 'entity.parse.failed':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { code: 'MALFORMED_JSON', message: malformedJson(String(error?.message)) };
    case 'charset.unsupported':
      return {
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: `The body's charset ${JSON.stringify(String(error?.charset ?? ''))} is not read here: send JSON in UTF-8 (Content-Type: ${JSON_TYPE}).`,
      };
    case 'entity.too.large':
      return {
        code: 'PAYLOAD_TOO_LARGE',
        message: `The body has ${String(error?.length)} bytes, more than the limit of ${String(error?.limit)}.`,
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { code: 'PAYLOAD_TOO_LARGE', message: `The body has more than the limit of ${BODY_LIMIT_BYTES} bytes.` };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { code: 'MISSING_BODY', message: missingBody(`${request.method} ${request.path}`) };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType(request);
    case 'FST_ERR_BAD_URL':
      return malformedUrl(String(error?.message));
    default:
      // Fastify's JSON parser rejects malformed JSON with a SyntaxError given status 400.
      if (cause instanceof SyntaxError) return { code: 'MALFORMED_JSON', message: malformedJson(cause.message) };
      return undefined;
  }
}

/** The largest request body read, on either platform (Express' default; Fastify is configured to match). */
export const BODY_LIMIT_BYTES = 102_400;

function malformedUrl(detail: string): Unreadable {
  return { code: 'MALFORMED_URL', message: `The URL is not valid percent-encoded UTF-8 (${detail}).` };
}

function unsupportedMediaType(request: RequestLine): Unreadable {
  const accept = request.method === 'PATCH' ? 'Accept-Patch' : 'Accept-Post';
  return {
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: notJsonBody(`${request.method} ${request.path}`, request.contentType),
    headers: { [accept]: JSON_TYPE },
  };
}
