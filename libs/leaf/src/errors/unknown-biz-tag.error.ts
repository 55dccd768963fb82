import { LeafError } from './leaf.error.js';

/**
 * The biz tag is neither configured in `bizTags` nor present in the `leaf_alloc` table.
 */
export class UnknownBizTagError extends LeafError {
  readonly code = 'LEAF_UNKNOWN_BIZ_TAG';

  constructor(readonly bizTag: string) {
    super(
      `Unknown biz tag "${bizTag}": it is not in LeafModule's bizTags and has no row in leaf_alloc. ` +
        `Add it to bizTags, or insert a row (INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES (?, 1, 1000)).`,
    );
  }
}
