/**
 * A PostgreSQL statement (`$1 … $n`) in MikroORM's placeholders: each `$n` outside a string literal becomes `?`, and
 * the parameters are listed in the order they occur, a parameter used twice listed twice. MikroORM 6 takes `?` on
 * every engine and inlines each value, escaped by the platform (`platform.formatQuery`), before the statement
 * reaches the driver: a `?` already in the statement, even inside a literal, would take a value too, so it is
 * escaped (`\?`, which MikroORM sends as `?`). An array (`= ANY($2::text[])`) would be inlined as a list of values:
 * it is sent as PostgreSQL's array literal text, which the statement's cast reads.
 */
export function toQuestionMarks(sql: string, params: readonly unknown[]): [string, unknown[]] {
  if (params.length === 0) return [sql, []];
  const ordered: unknown[] = [];
  const text = sql.replace(/'(?:[^']|'')*'|\$(\d+)|\?/g, (match, n: string | undefined) => {
    if (match === '?') return '\\?';
    if (n === undefined) return match.replaceAll('?', '\\?');
    const index = Number(n) - 1;
    if (index < 0 || index >= params.length) {
      throw new RangeError(`$${n} has no parameter: the statement was given ${params.length}.`);
    }
    ordered.push(asParameter(params[index]));
    return '?';
  });
  return [text, ordered];
}

function asParameter(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  const items = value.map((item) =>
    item === null || item === undefined ? 'NULL' : `"${String(item).replace(/["\\]/g, '\\$&')}"`,
  );
  return `{${items.join(',')}}`;
}
