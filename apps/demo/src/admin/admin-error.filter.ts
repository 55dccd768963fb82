import { Catch } from '@nestjs/common';
import {
  BizTagExistsError,
  InvalidArgumentError,
  LeafExceptionFilter,
  UnknownBizTagError,
  type LeafError,
} from 'nest-leaf';

/**
 * The library's errors on the admin routes, worded for someone calling them over HTTP: the library's own
 * messages point at its methods (`setStep`) and at SQL (`INSERT INTO leaf_alloc …`), where the admin API has a
 * route for each. Statuses, codes and fields stay those of the library's `LeafExceptionFilter`; errors it does not reword pass unchanged.
 */
@Catch(UnknownBizTagError, BizTagExistsError, InvalidArgumentError)
export class AdminErrorFilter extends LeafExceptionFilter {
  protected override messageOf(error: LeafError, status: number): string {
    // Only the plain messages are reworded: one that explains a collation match or a row deleted while served
    // carries advice of its own.
    if (error instanceof UnknownBizTagError && error.message === new UnknownBizTagError(error.bizTag).message) {
      return (
        `Unknown biz tag "${error.bizTag}": it has no row in leaf_alloc. Create it with POST /admin/tags ` +
        `and the body ${JSON.stringify({ tag: error.bizTag })}; PATCH changes the step of an existing tag only.`
      );
    }
    if (error instanceof BizTagExistsError && error.message === new BizTagExistsError(error.bizTag).message) {
      return (
        `Biz tag "${error.bizTag}" already has a row in leaf_alloc; nothing was changed. To change its step, ` +
        `PATCH /admin/tags/${encodeURIComponent(error.bizTag)} with {"step": <n>}.`
      );
    }
    if (error instanceof InvalidArgumentError) {
      // A period tag's advice: setStep("invoice:<period>") is PATCH /admin/tags/invoice:<period> here.
      return error.message.replace(/setStep\("([^"]*)"\)/g, 'PATCH /admin/tags/$1');
    }
    return super.messageOf(error, status);
  }
}
