/**
 * What every error says when the table's collation (case-, accent- or trailing-space-insensitive, as MariaDB's and
 * MySQL's defaults are) matches a tag to another spelling's row: one text, so `nextId`, startup and
 * `LeafAdmin.createTag` explain it alike, with both fixes.
 */
export function collationMatchText(bizTag: string, row: string): string {
  return (
    `"${bizTag}" has no leaf_alloc row of its own: the table's collation makes it equal to "${row}", another tag's row. ` +
    `Use one spelling ("${row}"), or make biz_tag compare exactly: ` +
    'ALTER TABLE leaf_alloc MODIFY biz_tag varchar(128) COLLATE utf8mb4_bin NOT NULL.'
  );
}
