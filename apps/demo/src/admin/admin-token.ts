import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { IncomingHttpHeaders } from 'node:http';
import type { DemoConfigService } from '../config/demo.config.js';

/** `Authorization: Bearer <token68>` (RFC 6750); the scheme is case-insensitive (RFC 9110). */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/**
 * What a request's credentials are worth: `off` (no ADMIN_TOKEN: the admin API is disabled), `accepted`, `missing`
 * (no bearer token) or `wrong`. The last two are failed authentications, which the rate limit counts.
 */
export type AdminCredential = 'off' | 'accepted' | 'missing' | 'wrong';

/** Checks a request's bearer token against ADMIN_TOKEN; shared by the rate limit and the token guard. */
@Injectable()
export class AdminToken {
  /** SHA-256 of ADMIN_TOKEN: digests of equal length compare in constant time, so not even the length leaks. */
  private readonly expected: Buffer | null;

  constructor(@Inject(ConfigService) config: DemoConfigService) {
    const { token } = config.get('admin', { infer: true });
    this.expected = token === null ? null : sha256(token);
  }

  check(request: { readonly headers: IncomingHttpHeaders }): AdminCredential {
    if (this.expected === null) return 'off';
    const presented = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (presented === undefined) return 'missing';
    return timingSafeEqual(sha256(presented), this.expected) ? 'accepted' : 'wrong';
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
