import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { FenceRequiredError, MAX_ID, type FenceSkips } from 'nest-leaf';
import { LeafAllocMigration, TypeOrmLeafStore } from 'nest-leaf/typeorm';
import { bizTagProblem } from '../../libs/leaf/src/leaf.options-validation.js';
import { mariadbDatabase, postgresDatabase, type EngineDatabase } from '../support/engines.js';
import { captureLogs, latencyLine, percentiles, reserveLatency } from '../support/redis.js';

/**
 * The failover fence of the SQL store on one real server: a promotion is simulated by rewriting the marker row by
 * hand to name another server, which is what a promoted replica sees (the marker names the old primary).
 */
const SUITE = 'fence_sql';
const MARKER = '__nest_leaf_fence__';
const OTHER = { postgres: 'postgres timeline 99 of system 1', mariadb: 'mariadb server_id 9999' } as const;

describe.each([
  ['postgres', () => postgresDatabase(SUITE)],
  ['mariadb', () => mariadbDatabase(SUITE)],
] as const)('SQL failover fence on %s', (engine, create) => {
  let database: EngineDatabase;
  let dataSource: DataSource;
  let store: TypeOrmLeafStore;
  const p = (n: number) => (engine === 'postgres' ? `$${n}` : '?');
  const sql = (text: string, params: unknown[] = []) => dataSource.query(text, params);
  const maxId = async (tag: string) =>
    BigInt(
      (
        await sql(
          `SELECT ${engine === 'postgres' ? 'max_id::text' : 'CAST(max_id AS CHAR)'} AS m FROM leaf_alloc WHERE biz_tag = ${p(1)}`,
          [tag],
        )
      )[0].m,
    );
  const marker = async () =>
    ((await sql(`SELECT description FROM leaf_alloc WHERE biz_tag = ${p(1)}`, [MARKER]))[0]?.description ?? null) as
      string | null;
  /** What a promoted replica sees: a marker naming the server that failed. */
  const failOver = () =>
    sql(`UPDATE leaf_alloc SET description = ${p(1)} WHERE biz_tag = ${p(2)}`, [OTHER[engine], MARKER]);
  const fresh = async () => {
    await sql('DELETE FROM leaf_alloc');
    return new TypeOrmLeafStore(dataSource);
  };

  let logs: ReturnType<typeof captureLogs>;

  beforeAll(async () => {
    logs = captureLogs();
    database = await create();
    const options = { ...database.options, migrations: [LeafAllocMigration], migrationsRun: true };
    dataSource = await new DataSource(options as DataSourceOptions).initialize();
  });
  afterAll(async () => {
    logs.restore();
    await dataSource?.destroy();
    await database?.dispose();
  });

  it('a new table gets a marker naming the server on the first reservation; listTags hides it', async () => {
    store = await fresh();
    await store.insertTag({ bizTag: 'order', maxId: 1n, step: 10, description: null });
    expect(await marker()).toBeNull();
    expect(await store.reserve('order', 10)).toEqual({ start: 1n, end: 11n });
    expect(await marker()).toMatch(
      engine === 'postgres' ? /^postgres timeline 1 of system \d+$/ : /^mariadb server_id \d+$/,
    );
    expect((await store.listTags()).map((row) => row.bizTag)).toEqual(['order']);
  });

  it('after a failover: reserve refuses with FenceRequiredError and giveBack returns false, both changing nothing', async () => {
    store = await fresh();
    await store.insertTag({ bizTag: 'order', maxId: 1000n, step: 10, description: null });
    await store.reserve('order', 100);
    const identity = await marker();
    await failOver();
    const refusal = await store.reserve('order', 100).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(FenceRequiredError);
    expect(refusal).toMatchObject({ identity, fencedFor: OTHER[engine] });
    expect(await store.giveBack('order', 1050n, 1100n)).toBe(false);
    expect(await maxId('order')).toBe(1100n);
  });

  it('fence moves every row by its skip (period rows by their tag), caps at 2^63-1, and names the server', async () => {
    store = await fresh();
    const rows: [string, bigint][] = [
      ['order', 1000n],
      ['invoice', 2000n],
      ['invoice:20261207', 3000n],
      ['invoice:202612', 4000n],
      ['other', 5000n],
      ['huge', MAX_ID - 10n],
    ];
    for (const [bizTag, at] of rows) await store.insertTag({ bizTag, maxId: at, step: 10, description: null });
    await store.reserve('order', 10); // makes the marker
    const identity = await marker();
    await failOver();
    const skips: FenceSkips = {
      defaultSkip: 1_000_000n,
      tags: new Map([
        ['invoice', 50_000n],
        ['order', 1_000_000n],
      ]),
    };
    const outcome = await store.fence(skips);
    expect(outcome).toEqual({ fenced: true, identity, previous: OTHER[engine], rows: 6 });
    expect(await maxId('order')).toBe(1010n + 1_000_000n);
    expect(await maxId('invoice')).toBe(2000n + 50_000n);
    expect(await maxId('invoice:20261207')).toBe(3000n + 50_000n);
    expect(await maxId('invoice:202612')).toBe(4000n + 50_000n);
    expect(await maxId('other')).toBe(5000n + 1_000_000n);
    expect(await maxId('huge')).toBe(MAX_ID);
    expect(await marker()).toBe(identity);
    expect(await store.reserve('other', 10)).toEqual({ start: 1_005_000n, end: 1_005_010n });
    // Fenced already: a second fence moves nothing.
    expect(await store.fence(skips)).toEqual({ fenced: false, identity, previous: identity, rows: 0 });
  });

  it('eight nodes fencing at once fence once: every row moves by one skip', async () => {
    store = await fresh();
    await store.insertTag({ bizTag: 'order', maxId: 1000n, step: 10, description: null });
    await store.reserve('order', 10);
    await failOver();
    const nodes = Array.from({ length: 8 }, () => new TypeOrmLeafStore(dataSource));
    const skips: FenceSkips = { defaultSkip: 7777n, tags: new Map() };
    const outcomes = await Promise.all(nodes.map((node) => node.fence(skips)));
    expect(outcomes.filter((outcome) => outcome.fenced)).toHaveLength(1);
    expect(await maxId('order')).toBe(1010n + 7777n);
  });

  it('fencing: false ignores the marker, and cannot fence', async () => {
    store = await fresh();
    await store.insertTag({ bizTag: 'order', maxId: 1n, step: 10, description: null });
    await store.reserve('order', 10);
    await failOver();
    const off = new TypeOrmLeafStore(dataSource, { fencing: false });
    expect(await off.reserve('order', 10)).toEqual({ start: 11n, end: 21n });
    await expect(off.fence({ defaultSkip: 1n, tags: new Map() })).rejects.toThrow(/fencing: false/);
    expect(await marker()).toBe(OTHER[engine]);
  });

  it('the marker and its look-alikes are refused as tags', () => {
    for (const tag of [
      MARKER,
      '__NEST_LEAF_FENCE__',
      '__nést_leaf_fence__',
      `${MARKER}  `,
      '__ｎｅｓｔ_leaf_fence__',
    ]) {
      expect(bizTagProblem(tag)).toMatch(/is reserved/);
    }
    expect(bizTagProblem('__nest_leaf_fence')).toBeUndefined();
  });

  it('fences 100,000 rows, and measures a reservation with and without the marker condition', async () => {
    store = await fresh();
    const values = Array.from({ length: 100_000 }, (_, i) => `('t${i}', 1, 10, NULL)`);
    for (let i = 0; i < values.length; i += 10_000) {
      await sql(
        `INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ${values.slice(i, i + 10_000).join(', ')}`,
      );
    }
    await store.reserve('t0', 10);
    await failOver();
    let started = performance.now();
    const outcome = await store.fence({ defaultSkip: 1000n, tags: new Map() });
    const oneUpdate = performance.now() - started;
    expect(outcome.rows).toBe(100_000);
    await failOver();
    started = performance.now();
    const named = await store.fence({
      defaultSkip: 1000n,
      tags: new Map([
        ['t5', 50n],
        ['t7', 70n],
      ]),
    });
    const byName = performance.now() - started;
    expect(named.rows).toBe(100_000);
    expect(await maxId('t5')).toBe(1001n + 50n);
    expect(await maxId('t6')).toBe(2001n);
    // In alternating blocks, so that the load of a shared machine weighs on both alike.
    const unfenced = new TypeOrmLeafStore(dataSource, { fencing: false });
    const [on, off]: number[][] = [[], []];
    for (let block = 0; block < 10; block++) {
      on.push(...(await reserveLatency(store, 't1', 100)));
      off.push(...(await reserveLatency(unfenced, 't2', 100)));
    }
    process.stdout.write(
      `[sql-fence] ${engine}: fence of 100,000 rows ${Math.round(oneUpdate)} ms (one UPDATE), ${Math.round(byName)} ms ` +
        `(2 tags with skips of their own); reserve with the marker condition ${latencyLine(on)}; without ` +
        `${latencyLine(off)}; p50 ratio ${(percentiles(on).p50 / percentiles(off).p50).toFixed(2)}\n`,
    );
  }, 120_000);

  if (engine === 'postgres') {
    it('a role with SELECT, INSERT, UPDATE on leaf_alloc alone reserves and fences', async () => {
      store = await fresh();
      await store.insertTag({ bizTag: 'order', maxId: 1n, step: 10, description: null });
      const role = 'leaf_fence_sql_user';
      await sql(`DROP OWNED BY ${role}`).catch(() => undefined);
      await sql(`DROP ROLE IF EXISTS ${role}`);
      await sql(`CREATE ROLE ${role} LOGIN`);
      await sql(`GRANT SELECT, INSERT, UPDATE ON leaf_alloc TO ${role}`);
      const limited = await new DataSource({
        ...(database.options as object),
        username: role,
      } as DataSourceOptions).initialize();
      try {
        const user = new TypeOrmLeafStore(limited);
        expect(await user.reserve('order', 10)).toEqual({ start: 1n, end: 11n });
        await failOver();
        await expect(user.reserve('order', 10)).rejects.toBeInstanceOf(FenceRequiredError);
        expect((await user.fence({ defaultSkip: 100n, tags: new Map() })).fenced).toBe(true);
        expect(await user.reserve('order', 10)).toEqual({ start: 111n, end: 121n });
      } finally {
        await limited.destroy();
        await sql(`DROP OWNED BY ${role}`);
        await sql(`DROP ROLE ${role}`);
      }
    });
  }
});
