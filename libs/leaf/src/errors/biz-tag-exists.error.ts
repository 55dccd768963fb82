import { collationMatchText } from './collation-match.js';
import { LeafError } from './leaf.error.js';

/**
 * `LeafAdmin.createTag` was asked for a tag that already has a row in `leaf_alloc`, or whose spelling the table's
 * collation matches to another tag's row (then `existing` is that row's spelling); nothing was changed.
 */
export class BizTagExistsError extends LeafError {
  readonly code = 'LEAF_BIZ_TAG_EXISTS';

  /**
   * @param existing the row found instead, when the collation matched another spelling
   * @param message defaults to the plain "already has a row"; prefer the static factories for other cases
   */
  constructor(
    readonly bizTag: string,
    readonly existing: string = bizTag,
    message = `Biz tag "${bizTag}" already has a row in leaf_alloc; nothing was changed. Use setStep to change its step.`,
  ) {
    super(message);
  }

  /** The INSERT met the row of another spelling ("order" for "ORDER") that the table's collation treats as equal. */
  static collationMatch(bizTag: string, existing: string): BizTagExistsError {
    return new BizTagExistsError(
      bizTag,
      existing,
      `Cannot create biz tag "${bizTag}"; nothing was changed. ${collationMatchText(bizTag, existing)}`,
    );
  }
}
