import { createHash, timingSafeEqual } from 'node:crypto';
import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request, Response } from 'express';
import { ADMIN_TOKEN_MIN_LENGTH, type DemoConfigService } from '../config/demo.config.js';

/** The name of the admin API's security scheme in the OpenAPI document. */
export const ADMIN_SECURITY = 'admin-token';

/** `Authorization: Bearer <token68>` (RFC 6750); the scheme is case-insensitive (RFC 9110). */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/**
 * Lets a request through when it carries `Authorization: Bearer <ADMIN_TOKEN>`. Without ADMIN_TOKEN the admin
 * API is off: every request gets a 403 saying how to turn it on.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  /** SHA-256 of ADMIN_TOKEN: digests of equal length compare in constant time, so not even the length leaks. */
  private readonly expected: Buffer | null;

  constructor(@Inject(ConfigService) config: DemoConfigService) {
    const { token } = config.get('admin', { infer: true });
    this.expected = token === null ? null : sha256(token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.expected === null) {
      throw new ForbiddenException({
        code: 'ADMIN_API_DISABLED',
        message:
          `The admin API is off because ADMIN_TOKEN is not set. Set it in the server's environment to a secret of at ` +
          `least ${ADMIN_TOKEN_MIN_LENGTH} characters (openssl rand -hex 32) and restart.`,
      });
    }
    const http = context.switchToHttp();
    const presented = BEARER.exec(http.getRequest<Request>().headers.authorization ?? '')?.[1];
    if (presented !== undefined && timingSafeEqual(sha256(presented), this.expected)) return true;

    http
      .getResponse<Response>()
      .setHeader(
        'WWW-Authenticate',
        presented === undefined ? 'Bearer realm="admin"' : 'Bearer realm="admin", error="invalid_token"',
      );
    throw new UnauthorizedException({
      code: 'ADMIN_UNAUTHORIZED',
      message:
        presented === undefined
          ? 'The admin API needs the header "Authorization: Bearer <ADMIN_TOKEN>"; no other scheme is accepted.'
          : "The bearer token is not the server's ADMIN_TOKEN.",
    });
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
