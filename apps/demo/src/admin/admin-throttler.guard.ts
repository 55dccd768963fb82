import { HttpException, HttpStatus, Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerStorageService,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { IncomingHttpHeaders } from 'node:http';
import { AdminToken } from './admin-token.js';

/**
 * @nestjs/throttler over the admin API's failed authentications: a request without the right bearer token counts,
 * one with it does not, so an admin may call the API as often as needed while guessing the token stays limited
 * to ADMIN_RATE_LIMIT tries a minute. Once an address is over the limit, every admin request from it gets 429
 * until the block ends, the right token's included: a guess that happened to be right must not be told apart.
 *
 * Clients are keyed by the socket's address (`req.ip`, on Express without `trust proxy`, on Fastify without
 * `trustProxy`; IPv6 by its /64), never by X-Forwarded-For, which any client can write.
 */
@Injectable()
export class AdminThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    @Inject(Reflector) reflector: Reflector,
    @Inject(AdminToken) private readonly token: AdminToken,
  ) {
    super(options, storage, reflector);
  }

  /** One count per client over the whole admin API (throttler's own key is per route), so guesses add up. */
  protected override generateKey(context: ExecutionContext, tracker: string, throttler: string): string {
    return `${context.getClass().name}:${throttler}:${tracker}`;
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { context, throttler, limit, ttl, getTracker, generateKey } = request;
    const { req, res } = this.getRequestResponse(context);
    const credential = this.token.check(req as { headers: IncomingHttpHeaders });
    // A missing or wrong token is a failed authentication: counted, and refused with 429 past the limit.
    if (credential === 'missing' || credential === 'wrong') return super.handleRequest(request);

    // The right token (or none configured, which the token guard refuses with 403) is not counted, but an
    // address that is blocked stays blocked.
    const tracker = await getTracker(req, context);
    const key = generateKey(context, tracker, throttler.name ?? 'default');
    const blockedFor = this.blockedSeconds(key);
    if (blockedFor > 0) {
      this.setResponseHeader(res, 'Retry-After', blockedFor);
      await this.throwThrottlingException(context, {
        limit,
        ttl,
        key,
        tracker,
        totalHits: limit + 1,
        timeToExpire: blockedFor,
        isBlocked: true,
        timeToBlockExpire: blockedFor,
      });
    }
    return true;
  }

  /** Seconds left of the block of `key`, 0 if none; read from the module's in-memory storage without a hit. */
  private blockedSeconds(key: string): number {
    if (!(this.storageService instanceof ThrottlerStorageService)) return 0;
    const record = this.storageService.storage.get(key);
    if (record === undefined || !record.isBlocked) return 0;
    return Math.max(0, Math.ceil((record.blockExpiresAt - Date.now()) / 1000));
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const seconds = Math.max(1, detail.timeToBlockExpire);
    throw new HttpException(
      {
        code: 'TOO_MANY_REQUESTS',
        message:
          `Too many failed admin authentications from this address: at most ${detail.limit} a minute ` +
          `(ADMIN_RATE_LIMIT). Every admin request from it is refused for ${seconds} s more.`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
