import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTableSql } from '../typeorm/leaf-alloc.migration.js';
import type { SqlExecutor } from './sql-executor.js';
import { sqliteExecutor } from './sqlite-executor.js';

// The SQLite executor's transaction: what the MySQL 8 bound and the fence use on server engines, kept honest here
// too, since no SQLite statement of the store needs one yet.

describe('sqliteExecutor.transaction', () => {
  let dir: string;
  let db: Database.Database;
  let other: Database.Database;
  let executor: SqlExecutor;
  const maxId = () => (db.prepare("SELECT max_id AS m FROM leaf_alloc WHERE biz_tag = 'a'").get() as { m: number }).m;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'leaf-sqlite-executor-'));
    db = new Database(join(dir, 'leaf.sqlite'));
    db.exec(createTableSql('sqlite'));
    db.exec("INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES ('a', 1, 10)");
    other = new Database(join(dir, 'leaf.sqlite'));
    executor = sqliteExecutor(db);
  });
  afterEach(() => {
    db.close();
    other.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits what the work did when it resolves, and hands its result back', async () => {
    const result = await executor.transaction(async (tx) => {
      await tx.query("UPDATE leaf_alloc SET max_id = max_id + 5 WHERE biz_tag = 'a'", []);
      return (await tx.query("SELECT max_id FROM leaf_alloc WHERE biz_tag = 'a'", [])).rows[0];
    });
    expect(result).toEqual({ max_id: 6 });
    expect(db.inTransaction).toBe(false);
    expect((other.prepare("SELECT max_id AS m FROM leaf_alloc WHERE biz_tag = 'a'").get() as { m: number }).m).toBe(6);
  });

  it('rolls back when the work rejects, and rejects with its error', async () => {
    const failure = new Error('work failed');
    const attempt = executor.transaction(async (tx) => {
      await tx.query("UPDATE leaf_alloc SET max_id = 100 WHERE biz_tag = 'a'", []);
      throw failure;
    });
    await expect(attempt).rejects.toBe(failure);
    expect(db.inTransaction).toBe(false);
    expect(maxId()).toBe(1);
  });

  it('a statement of the store sent meanwhile waits for the transaction, rather than joining it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = executor.transaction(async (tx) => {
      await tx.query("UPDATE leaf_alloc SET max_id = 50 WHERE biz_tag = 'a'", []);
      await held;
      throw new Error('rolled back');
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const outside = executor.query("UPDATE leaf_alloc SET max_id = max_id + 1 WHERE biz_tag = 'a'", []);
    await new Promise((resolve) => setTimeout(resolve, 30));
    release();
    await expect(transaction).rejects.toThrow('rolled back');
    expect((await outside).affected).toBe(1);
    // Run after the rollback: 1 + 1, not 50 + 1 nor undone with it.
    expect(maxId()).toBe(2);
  });

  it('waits for the write lock another connection holds, and gives up at the signal changing nothing', async () => {
    other.exec('BEGIN IMMEDIATE');
    const attempt = executor.transaction(
      (tx) => tx.query("UPDATE leaf_alloc SET max_id = 7 WHERE biz_tag = 'a'", []),
      AbortSignal.timeout(100),
    );
    await expect(attempt).rejects.toMatchObject({ name: 'SqliteBusyError' });
    other.exec('ROLLBACK');
    expect(maxId()).toBe(1);
  });
});
