import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { ADMIN_TOKEN_MIN_LENGTH } from '../config/demo.config.js';
import { withHeaders } from '../common/error-response.js';
import { AdminToken } from './admin-token.js';

/** The name of the admin API's security scheme in the OpenAPI document. */
export const ADMIN_SECURITY = 'admin-token';

/**
 * Lets a request through when it carries `Authorization: Bearer <ADMIN_TOKEN>`. Without ADMIN_TOKEN the admin
 * API is off: every request gets a 403 saying how to turn it on.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(AdminToken) private readonly token: AdminToken) {}

  canActivate(context: ExecutionContext): boolean {
    const credential = this.token.check(context.switchToHttp().getRequest<{ headers: IncomingHttpHeaders }>());
    if (credential === 'accepted') return true;
    if (credential === 'off') {
      throw new ForbiddenException({
        code: 'ADMIN_API_DISABLED',
        message:
          `The admin API is off because ADMIN_TOKEN is not set. Set it in the server's environment to a secret of at ` +
          `least ${ADMIN_TOKEN_MIN_LENGTH} characters (openssl rand -hex 32) and restart.`,
      });
    }
    throw withHeaders(
      new UnauthorizedException({
        code: 'ADMIN_UNAUTHORIZED',
        message:
          credential === 'missing'
            ? 'The admin API needs the header "Authorization: Bearer <ADMIN_TOKEN>"; no other scheme is accepted.'
            : "The bearer token is not the server's ADMIN_TOKEN.",
      }),
      {
        'WWW-Authenticate':
          credential === 'missing' ? 'Bearer realm="admin"' : 'Bearer realm="admin", error="invalid_token"',
      },
    );
  }
}
