import { FENCE_MARKER } from '../store/fence-marker.js';
import { skipFor } from '../store/fence-skips.js';
import type { FenceSkips } from '../store/leaf-store.js';
import type { SqlResult, SqlTransaction } from './sql-executor.js';
import type { SqlServerKind } from './sql-identity.js';

const MARKER = `'${FENCE_MARKER}'`;
const MAX_ID = '9223372036854775807';
/** Rows of a skip of their own that the default's single UPDATE can leave out by name (`NOT IN`). */
const LEFT_OUT_AT_MOST = 20_000;
/** Tags per `IN` list when rows are moved by name. */
const CHUNK = 1000;

/** Locks the marker row and reads what it names. */
export const MARKER_READ = `SELECT description AS marker FROM leaf_alloc WHERE biz_tag = ${MARKER} FOR UPDATE`;

/**
 * Moves every row but the marker ahead by its skip (`skipFor`: its tag's, its period tag's, else the default),
 * never past 2^63-1, inside the caller's transaction; resolves to the rows moved. When no tag has a skip of its own
 * (or every one equals the default), one UPDATE moves them all: 100,000 rows in about a second. Otherwise the rows
 * are read to find those of the tags with a skip of their own, which are moved by name, and the rest by one UPDATE
 * that leaves them out. Under a loose collation a name may match a look-alike row too: that row then moves twice,
 * further ahead, which repeats nothing.
 */
export async function moveRows(runner: SqlTransaction, kind: SqlServerKind, skips: FenceSkips): Promise<number> {
  if ([...skips.tags.values()].every((skip) => skip === skips.defaultSkip)) {
    return affected(await runner.query(moveSql(kind, ''), skipParams(kind, skips.defaultSkip)));
  }
  const records = (await runner.query(`SELECT biz_tag FROM leaf_alloc WHERE biz_tag <> ${MARKER}`, [])).rows as Array<{
    biz_tag: string;
  }>;
  const own = new Map<bigint, string[]>();
  for (const { biz_tag: tag } of records) {
    const skip = skipFor(skips, tag);
    if (skip !== skips.defaultSkip) own.set(skip, [...(own.get(skip) ?? []), tag]);
  }
  const named = [...own.values()].flat();
  let moved = 0;
  for (const [skip, tags] of own) moved += await moveNamed(runner, kind, skip, tags, true);
  if (named.length <= LEFT_OUT_AT_MOST) {
    return moved + (await moveNamed(runner, kind, skips.defaultSkip, named, false));
  }
  const left = new Set(named);
  const rest = records.map((record) => record.biz_tag).filter((tag) => !left.has(tag));
  return moved + (await moveNamed(runner, kind, skips.defaultSkip, rest, true));
}

/** Moves the rows `tags` names (`inList`), or every row but those, by `skip`. */
async function moveNamed(
  runner: SqlTransaction,
  kind: SqlServerKind,
  skip: bigint,
  tags: readonly string[],
  inList: boolean,
): Promise<number> {
  if (!inList && tags.length === 0) return affected(await runner.query(moveSql(kind, ''), skipParams(kind, skip)));
  let moved = 0;
  const chunk = inList ? CHUNK : LEFT_OUT_AT_MOST;
  for (let i = 0; i < tags.length; i += chunk) {
    const names = tags.slice(i, i + chunk);
    const params = skipParams(kind, skip);
    let where: string;
    if (kind === 'postgres') {
      where = `${inList ? '' : 'NOT '}(biz_tag = ANY($2::text[]))`;
      params.push(names);
    } else {
      where = `biz_tag ${inList ? '' : 'NOT '}IN (${names.map(() => '?').join(', ')})`;
      params.push(...names);
    }
    moved += affected(await runner.query(moveSql(kind, ` AND ${where}`), params));
  }
  return moved;
}

/** The UPDATE that moves rows by a skip (parameter 1; twice on MySQL), capped at 2^63-1. */
function moveSql(kind: SqlServerKind, where: string): string {
  const skip = kind === 'postgres' ? '$1::bigint' : 'CAST(? AS SIGNED)';
  return (
    `UPDATE leaf_alloc SET max_id = CASE WHEN max_id > ${MAX_ID} - ${skip} THEN ${MAX_ID} ` +
    `ELSE max_id + ${skip} END, update_time = CURRENT_TIMESTAMP WHERE biz_tag <> ${MARKER}${where}`
  );
}

function skipParams(kind: SqlServerKind, skip: bigint): unknown[] {
  return kind === 'postgres' ? [skip.toString()] : [skip.toString(), skip.toString()];
}

function affected(result: SqlResult): number {
  return result.affected ?? 0;
}
