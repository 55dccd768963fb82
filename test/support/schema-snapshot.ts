import type { DataSource } from 'typeorm';

/**
 * The full definition of `leaf_alloc` as the engine reports it, as text, or undefined when there is no such
 * table. With `identity`, it also holds what only a dropped and re-created (or rebuilt) table changes: the
 * PostgreSQL oid and dropped-column slots, the SQLite root page.
 */
export async function leafAllocDefinition(
  dataSource: DataSource,
  { identity = true } = {},
): Promise<string | undefined> {
  switch (String(dataSource.options.type)) {
    case 'mysql':
    case 'mariadb':
      return mysqlDefinition(dataSource);
    case 'postgres':
      return postgresDefinition(dataSource, identity);
    case 'better-sqlite3':
      return sqliteDefinition(dataSource, identity);
    default:
      throw new Error(`No schema snapshot for ${String(dataSource.options.type)}`);
  }
}

async function mysqlDefinition(dataSource: DataSource): Promise<string | undefined> {
  const tables = await dataSource.query("SHOW TABLES LIKE 'leaf_alloc'");
  if (tables.length === 0) return undefined;
  const [row] = await dataSource.query('SHOW CREATE TABLE leaf_alloc');
  return row['Create Table'] as string;
}

async function postgresDefinition(dataSource: DataSource, identity: boolean): Promise<string | undefined> {
  const [table] = await dataSource.query(
    "SELECT c.oid::text AS oid, obj_description(c.oid, 'pg_class') AS comment FROM pg_class c " +
      "WHERE c.oid = to_regclass('public.leaf_alloc')",
  );
  if (!table) return undefined;
  // Dropped columns keep a slot in pg_attribute: a column dropped and re-added leaves one behind.
  const columns = await dataSource.query(
    'SELECT a.attnum, a.attname, a.attisdropped, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull, ' +
      'pg_get_expr(d.adbin, d.adrelid) AS "default", col_description(a.attrelid, a.attnum) AS comment ' +
      'FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum ' +
      "WHERE a.attrelid = 'leaf_alloc'::regclass AND a.attnum > 0 " +
      (identity ? '' : 'AND NOT a.attisdropped ') +
      'ORDER BY a.attnum',
  );
  const constraints = await dataSource.query(
    "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'leaf_alloc'::regclass ORDER BY conname",
  );
  const indexes = await dataSource.query(
    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'leaf_alloc' ORDER BY indexname",
  );
  const triggers = await dataSource.query(
    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'leaf_alloc'::regclass AND NOT tgisinternal ORDER BY tgname",
  );
  return JSON.stringify(
    { table: identity ? table : { comment: table.comment }, columns, constraints, indexes, triggers },
    null,
    1,
  );
}

async function sqliteDefinition(dataSource: DataSource, identity: boolean): Promise<string | undefined> {
  // TypeORM rebuilds an SQLite table through temporary_<name>: such leftovers belong to the snapshot too.
  const objects = await dataSource.query(
    'SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master ' +
      "WHERE tbl_name LIKE '%leaf_alloc%' OR name LIKE '%leaf_alloc%' ORDER BY type, name",
  );
  if (!objects.some((o: { name: string }) => o.name === 'leaf_alloc')) return undefined;
  const columns = await dataSource.query('PRAGMA table_info(leaf_alloc)');
  const indexes = await dataSource.query('PRAGMA index_list(leaf_alloc)');
  const shown = identity ? objects : objects.map(({ rootpage: _, ...rest }: Record<string, unknown>) => rest);
  // A connection with safe integers reports rootpage, cid and pk as bigints: the same snapshot either way.
  const plain = (_key: string, value: unknown) => (typeof value === 'bigint' ? Number(value) : value);
  return JSON.stringify({ objects: shown, columns, indexes }, plain, 1);
}
