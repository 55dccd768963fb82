import { createTableSql } from 'nest-leaf/typeorm';
import { dropDatabases, recreateDatabase } from '../../harness/mariadb.js';

/**
 * Every database of one run is named `leaf_bench_<run>_<purpose>`, so a run never touches the tests'
 * databases (`leaf_test_*`), the demo's, or those of another bench run on the same server. The run id is
 * the process id, in base 36; child processes receive the full database name, not the id.
 */
export const RUN_ID = process.pid.toString(36);

export function benchDatabaseName(purpose: string): string {
  return `leaf_bench_${RUN_ID}_${purpose}`.slice(0, 64);
}

/** Databases created by this run, dropped by `dropBenchDatabases()` at the end. */
const created = new Set<string>();

/**
 * A database of this run's own for `purpose`, dropped and created anew, with `leaf_alloc` created by the
 * library's `createTableSql('mysql')` unless `withTable` is false. Returns its name.
 */
export async function freshBenchDatabase(purpose: string, { withTable = true } = {}): Promise<string> {
  const name = benchDatabaseName(purpose);
  created.add(name);
  await recreateDatabase(name, withTable ? createTableSql('mysql') : undefined);
  return name;
}

/** Drops every database this run created (called in a `finally`, so a failed run cleans up too). */
export async function dropBenchDatabases(): Promise<void> {
  if (created.size === 0) return;
  await dropDatabases(created);
  created.clear();
}
