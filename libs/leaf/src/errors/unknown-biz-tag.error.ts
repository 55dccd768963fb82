import { collationMatchText } from './collation-match.js';
import { LeafError } from './leaf.error.js';
import { sqlLiteral } from './sql-literal.js';

/**
 * The biz tag has no row of its own in `leaf_alloc`: it is neither configured in `bizTags` nor in the table, its row
 * was deleted while it was being served, or the table's collation matches it to another spelling's row.
 */
export class UnknownBizTagError extends LeafError {
  readonly code = 'LEAF_UNKNOWN_BIZ_TAG';

  /**
   * @param message default: the tag is in neither `bizTags` nor the table, with the SQL that adds it
   * @param similar the row a case- or accent-insensitive collation matched instead, if that is the cause
   */
  constructor(
    readonly bizTag: string,
    message: string = notFoundMessage(bizTag),
    readonly similar?: string,
  ) {
    super(message);
  }

  /** Only the row of another spelling ("order" for "ORDER") matched, through the table's collation. */
  static collationMatch(bizTag: string, row: string): UnknownBizTagError {
    return new UnknownBizTagError(bizTag, `Unknown biz tag "${bizTag}": ${collationMatchText(bizTag, row)}`, row);
  }

  /**
   * The row was deleted while this node served the tag: the usual advice, a row at max_id 1, would repeat IDs.
   * @param servedUpTo the end of the highest segment this node reserved
   */
  static deletedWhileServed(bizTag: string, servedUpTo: bigint): UnknownBizTagError {
    return new UnknownBizTagError(
      bizTag,
      `The leaf_alloc row of "${bizTag}" was deleted while it was being served. To serve it again without ` +
        `repeating an ID, re-insert it with max_id at least ${servedUpTo}, above every ID issued so far: ` +
        `INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES (${sqlLiteral(bizTag)}, ${servedUpTo}, 1000).`,
    );
  }
}

function notFoundMessage(bizTag: string): string {
  return (
    `Unknown biz tag "${bizTag}": it is not in LeafModule's bizTags and has no row in leaf_alloc. ` +
    `Add it to bizTags, or insert a row (INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES (${sqlLiteral(bizTag)}, 1, 1000)).`
  );
}
