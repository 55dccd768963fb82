import { HttpException, HttpStatus, Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';

/**
 * @nestjs/throttler over the admin API, with the demo's error body. It keys clients by the socket's address
 * (Express' `req.ip` without `trust proxy`; IPv6 by its /64), never by X-Forwarded-For, which any client can write.
 */
@Injectable()
export class AdminThrottlerGuard extends ThrottlerGuard {
  /** One count per client over the whole admin API (throttler's own key is per route), so guesses add up. */
  protected override generateKey(context: ExecutionContext, tracker: string, throttler: string): string {
    return `${context.getClass().name}:${throttler}:${tracker}`;
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const seconds = Math.max(1, detail.timeToBlockExpire);
    throw new HttpException(
      {
        code: 'TOO_MANY_REQUESTS',
        message: `Too many admin requests from this address: at most ${detail.limit} a minute (ADMIN_RATE_LIMIT). Retry in ${seconds} s.`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
