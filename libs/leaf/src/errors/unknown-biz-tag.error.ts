import { sqlLiteral } from '../store/sql-dialect.js';
import { collationMatchText } from './collation-match.js';
import { LeafError } from './leaf.error.js';

/**
 * The biz tag is neither configured in `bizTags` nor present in the `leaf_alloc` table, or its row was
 * deleted while it was being served, or the table's collation matches it to another spelling's row (`similar`).
 */
export class UnknownBizTagError extends LeafError {
  readonly code = 'LEAF_UNKNOWN_BIZ_TAG';

  /**
   * @param similar the row a case- or accent-insensitive collation matched instead
   * @param servedUpTo for a row deleted while served: the end of the last segment this node reserved
   */
  constructor(
    readonly bizTag: string,
    readonly similar?: string,
    servedUpTo?: bigint,
  ) {
    super(
      servedUpTo !== undefined
        ? `The leaf_alloc row of "${bizTag}" was deleted while it was being served. To serve it again without ` +
            `repeating an ID, re-insert it with max_id at least ${servedUpTo}, above every ID issued so far: ` +
            `INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES (${sqlLiteral(bizTag)}, ${servedUpTo}, 1000).`
        : similar !== undefined
          ? `Unknown biz tag "${bizTag}": ${collationMatchText(bizTag, similar)}`
          : `Unknown biz tag "${bizTag}": it is not in LeafModule's bizTags and has no row in leaf_alloc. ` +
            `Add it to bizTags, or insert a row (INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES (${sqlLiteral(bizTag)}, 1, 1000)).`,
    );
  }

  /** Only the row of another spelling ("order" for "ORDER") matched, through the table's collation. */
  static collationMatch(bizTag: string, row: string): UnknownBizTagError {
    return new UnknownBizTagError(bizTag, row);
  }
}
