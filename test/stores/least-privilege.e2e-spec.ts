import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mysql from 'mysql2/promise';
import { BizTagExistsError, LeafAdmin } from 'nest-leaf';
import { createTableSql } from 'nest-leaf/typeorm';
import { expectStrictlyIncreasing, expectUnique } from '../../harness/assertions.js';
import { startLeafApp, type LeafApp } from '../../harness/leaf-app.js';
import { freshDatabase, MYSQL, type TestDatabase } from '../../harness/mariadb.js';

/** MySQL's ER_TABLEACCESS_DENIED_ERROR: "<command> command denied to user … for table …". */
const TABLE_ACCESS_DENIED = 1142;

/**
 * The library run by a MariaDB user that holds nothing but SELECT, INSERT and UPDATE on leaf_alloc, the grant
 * docs/security.md asks for: every feature works, and the user could not delete or drop anything if it tried.
 */
describe('least privilege: SELECT, INSERT, UPDATE on leaf_alloc and nothing else', () => {
  // One user per run, so a run that died before afterAll cannot leave a user with other grants behind.
  const credentials = {
    username: `leaf_lp_${randomBytes(4).toString('hex')}`,
    password: randomBytes(18).toString('hex'),
  };
  const account = () => [credentials.username];
  let db: TestDatabase;
  let limited: mysql.Connection;
  let node: LeafApp | undefined;

  beforeAll(async () => {
    db = await freshDatabase('least_privilege');
    // Created by root, as a migration would: the user below cannot create it.
    await db.query("INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES ('user', 1, 5)");
    await db.query("CREATE USER ?@'%' IDENTIFIED BY ?", [credentials.username, credentials.password]);
    await db.query(`GRANT SELECT, INSERT, UPDATE ON \`${db.name}\`.leaf_alloc TO ?@'%'`, account());
    limited = await mysql.createConnection({
      ...MYSQL,
      user: credentials.username,
      password: credentials.password,
      database: db.name,
    });
  });

  afterAll(async () => {
    await node?.close();
    await limited?.end();
    await db?.query("DROP USER IF EXISTS ?@'%'", account());
    await db?.close();
  });

  it('holds exactly that grant', async () => {
    const grants = await db.query<Array<Record<string, string>>>("SHOW GRANTS FOR ?@'%'", account());
    const lines = grants.map((row) => Object.values(row)[0]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^GRANT USAGE ON \\*\\.\\* TO \`${credentials.username}\`@\`%\``));
    expect(lines[1]).toBe(
      `GRANT SELECT, INSERT, UPDATE ON \`${db.name}\`.\`leaf_alloc\` TO \`${credentials.username}\`@\`%\``,
    );
  });

  it('can not DELETE, TRUNCATE, DROP, ALTER or CREATE, nor run the migration, nor read other tables', async () => {
    for (const sql of [
      'DELETE FROM leaf_alloc',
      'TRUNCATE TABLE leaf_alloc',
      'DROP TABLE leaf_alloc',
      'ALTER TABLE leaf_alloc ADD COLUMN extra int',
      'CREATE TABLE other (x int)',
      // CREATE TABLE IF NOT EXISTS needs CREATE even when the table exists: migrations need a user of their own.
      createTableSql('mysql'),
      'SELECT * FROM mysql.user',
    ]) {
      await expect(limited.query(sql)).rejects.toEqual(expect.objectContaining({ errno: TABLE_ACCESS_DENIED }));
    }
    expect(await db.query("SELECT biz_tag FROM leaf_alloc WHERE biz_tag <> '__nest_leaf_fence__'")).toEqual([
      { biz_tag: 'user' },
    ]);
  });

  it('boots, creating the row of a configured tag that is missing (INSERT)', async () => {
    node = await startLeafApp(db.name, { bizTags: ['order', 'user'], step: 10, dynamicStep: false }, credentials);
    const rows = await db.query<Array<{ biz_tag: string; max_id: string; step: number }>>(
      "SELECT biz_tag, CAST(max_id AS CHAR) AS max_id, step FROM leaf_alloc WHERE biz_tag <> '__nest_leaf_fence__' ORDER BY biz_tag",
    );
    // The failover fence's marker, made by the limited user at the first reservation, names the server.
    const [marker] = await db.query<Array<{ description: string }>>(
      "SELECT description FROM leaf_alloc WHERE biz_tag = '__nest_leaf_fence__'",
    );
    expect(marker.description).toMatch(/^mariadb server_id \d+$/);
    // Both reserved their first segment at startup: order with the configured step, user with its row's.
    expect(rows).toEqual([
      { biz_tag: 'order', max_id: '11', step: 10 },
      { biz_tag: 'user', max_id: '6', step: 5 },
    ]);
  });

  it('hands out IDs over several segments with nextId and nextIds (UPDATE)', async () => {
    const ids = [
      await node!.ids.nextId('order'),
      await node!.ids.nextId('order'),
      ...(await node!.ids.nextIds('order', 45)),
    ];
    expect(ids[0]).toBe(1n);
    expectUnique(ids);
    expectStrictlyIncreasing(ids);
    expect(ids.at(-1)).toBe(47n);
    expect(await node!.ids.nextIds('user', 12)).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i + 1)));
    expect(await db.maxId('order')).toBeGreaterThanOrEqual(51n);
  });

  it('serves a tag that root inserted after startup, found on first use (SELECT)', async () => {
    await db.query(
      "INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ('invoice', 1000, 10, 'by root')",
    );
    expect(await node!.ids.nextIds('invoice', 3)).toEqual([1000n, 1001n, 1002n]);
  });

  it('creates a tag and changes its step through LeafAdmin', async () => {
    const admin = node!.app.get(LeafAdmin);
    await admin.createTag('coupon', { step: 7, startAt: 500n, description: 'created by the least-privileged user' });
    await expect(admin.createTag('coupon')).rejects.toBeInstanceOf(BizTagExistsError);
    expect(await node!.ids.nextId('coupon')).toBe(500n);
    await admin.setStep('coupon', 20);
    expect(await db.query("SELECT step, description FROM leaf_alloc WHERE biz_tag = 'coupon'")).toEqual([
      { step: 20, description: 'created by the least-privileged user' },
    ]);
  });

  it('gives the unused IDs back on close, and a new node continues right after the last ID handed out', async () => {
    const ids = node!.ids;
    const deadline = Date.now() + 5000;
    while (ids.inspect().some((tag) => tag.loading) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const order = ids.inspect().find((tag) => tag.tag === 'order')!;
    expect(order.loading).toBe(false);
    // One node alone: its segments are contiguous, so everything from the next position on goes back.
    const firstUnused = order.nextPosition!;
    const reserved = await db.maxId('order');
    expect(firstUnused).toBeLessThan(reserved!);

    await node!.close();
    node = undefined;
    expect(await db.maxId('order')).toBe(firstUnused);

    node = await startLeafApp(db.name, { bizTags: ['order'], step: 10, dynamicStep: false }, credentials);
    expect(await node.ids.nextId('order')).toBe(firstUnused);
  });
});
