import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { IncomingHttpHeaders } from 'node:http';
import { ClientTokens } from 'nest-leaf/server';
import type { DemoConfigService } from '../config/demo.config.js';

/** `Authorization: Bearer <token68>` (RFC 6750); the scheme is case-insensitive (RFC 9110). */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/**
 * What a request's credentials are worth: `off` (no ADMIN_TOKEN: the admin API is disabled), `accepted`, `missing`
 * (no bearer token) or `wrong`. The last two are failed authentications, which the rate limit counts.
 */
export type AdminCredential = 'off' | 'accepted' | 'missing' | 'wrong';

/**
 * Checks a request's bearer token against ADMIN_TOKEN; shared by the rate limit and the token guard. The comparison
 * is the library's (`ClientTokens`, as its ID server checks its clients): SHA-256 digests compared in constant time,
 * so not even the token's length leaks.
 */
@Injectable()
export class AdminToken {
  private readonly expected: ClientTokens<{ readonly token: string }> | null;

  constructor(@Inject(ConfigService) config: DemoConfigService) {
    const { token } = config.get('admin', { infer: true });
    this.expected = token === null ? null : new ClientTokens([{ token }]);
  }

  check(request: { readonly headers: IncomingHttpHeaders }): AdminCredential {
    if (this.expected === null) return 'off';
    const presented = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (presented === undefined) return 'missing';
    return this.expected.find(presented) !== undefined ? 'accepted' : 'wrong';
  }
}
