import type { QueryRunner } from 'typeorm';

/**
 * Runs a `CREATE TABLE IF NOT EXISTS` that several nodes may run at once on an empty database. PostgreSQL checks IF
 * NOT EXISTS before it inserts the table's row type: two nodes creating at once both pass the check and the second
 * fails on pg_type's unique index, so there an advisory lock (`lockKey`, per table) serializes them. MySQL/MariaDB
 * hold a metadata lock on the name, and SQLite a database write lock, so there the second one already waits and then
 * finds the table.
 */
export async function createTableOnce(
  queryRunner: QueryRunner,
  sql: string,
  postgres: boolean,
  lockKey: number,
): Promise<void> {
  if (!postgres) {
    await queryRunner.query(sql);
  } else if (queryRunner.isTransactionActive) {
    // Held to the commit, so the next node's check sees the committed table.
    await queryRunner.query(`SELECT pg_advisory_xact_lock(${lockKey})`);
    await queryRunner.query(sql);
  } else {
    // migrationsTransactionMode 'none': the CREATE commits on its own, so a session lock around it is enough.
    await queryRunner.query(`SELECT pg_advisory_lock(${lockKey})`);
    try {
      await queryRunner.query(sql);
    } finally {
      await queryRunner.query(`SELECT pg_advisory_unlock(${lockKey})`);
    }
  }
}
