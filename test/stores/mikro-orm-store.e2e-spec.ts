import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FenceSkips } from 'nest-leaf';
import { describeLeafStoreContract } from 'nest-leaf/testing';
import { mikroOrmStoreOn } from '../support/mikro-orm-stores.js';

// MikroOrmLeafStore passes the contract on each engine's MikroORM driver: the same SQL as every SQL store, through
// em.getConnection().execute() (PostgreSQL's $n rewritten to MikroORM's ?) and connection.transactional().

const SUITE = 'sql_exec_mikro';

describeLeafStoreContract('MikroOrmLeafStore on PostgreSQL (@mikro-orm/postgresql)', () =>
  mikroOrmStoreOn('postgres', SUITE),
);
describeLeafStoreContract('MikroOrmLeafStore on MariaDB (@mikro-orm/mariadb)', () => mikroOrmStoreOn('mariadb', SUITE));
describeLeafStoreContract('MikroOrmLeafStore on SQLite (@mikro-orm/libsql)', () => mikroOrmStoreOn('sqlite', SUITE));

// The fence's moves by name are the one place a parameter is a list: PostgreSQL's = ANY($2::text[]) takes an array,
// which MikroORM would inline as a list of values (see question-marks.ts); MariaDB's IN list is one ? per tag.
describe.each(['postgres', 'mariadb'] as const)('MikroOrmLeafStore fence with skips of their own on %s', (engine) => {
  let under: Awaited<ReturnType<typeof mikroOrmStoreOn>>;
  const maxId = async (tag: string) => {
    const [row] = await under.orm.em
      .getConnection()
      .execute(
        `SELECT ${engine === 'postgres' ? 'max_id::text' : 'CAST(max_id AS CHAR)'} AS m FROM leaf_alloc WHERE biz_tag = ?`,
        [tag],
      );
    return BigInt((row as { m: string }).m);
  };

  beforeAll(async () => {
    under = await mikroOrmStoreOn(engine, `${SUITE}_fence`);
  });
  afterAll(() => under?.close?.());

  it("moves the tags named by their own skip, the rest by the default, and a tag's quote or backslash is no harm", async () => {
    const { store, orm } = under;
    const tags: Array<[string, bigint]> = [
      ['order', 1000n],
      ["o'brien\\x", 2000n],
      ['other', 5000n],
    ];
    for (const [bizTag, at] of tags) await store.insertTag({ bizTag, maxId: at, step: 10, description: null });
    await store.reserve('order', 10); // makes the marker
    await orm.em
      .getConnection()
      .execute('UPDATE leaf_alloc SET description = ? WHERE biz_tag = ?', ['another server', '__nest_leaf_fence__']);
    const skips: FenceSkips = { defaultSkip: 1_000_000n, tags: new Map([["o'brien\\x", 50_000n]]) };
    expect(await store.fence(skips)).toMatchObject({ fenced: true, previous: 'another server', rows: 3 });
    expect(await maxId('order')).toBe(1010n + 1_000_000n);
    expect(await maxId("o'brien\\x")).toBe(2000n + 50_000n);
    expect(await maxId('other')).toBe(5000n + 1_000_000n);
  });
});

// MikroORM's raw execute hands the driver's error on as it is: the store reads the engine's own code for a missing table.
describe.each(['postgres', 'mariadb', 'sqlite'] as const)('MikroOrmLeafStore on %s without leaf_alloc', (engine) => {
  it('names the table and how to create it from nest-leaf/mikro-orm', async () => {
    const { store, close } = await mikroOrmStoreOn(engine, `${SUITE}_none`, { withTable: false });
    try {
      await expect(store.reserve('order', 10)).rejects.toThrow(
        /Table leaf_alloc does not exist\. .*createTableSql\('<engine>'\) from nest-leaf\/mikro-orm/,
      );
    } finally {
      await close?.();
    }
  });
});
