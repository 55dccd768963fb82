import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RedisLeafStore } from 'nest-leaf/redis';
import { freshRedisKeys, REDIS, type RedisKeySpace } from '../../harness/redis.js';
import { runCli } from '../support/cli.js';
import { PrivateRedis } from '../support/redis-server.js';

// `npx nest-leaf` on Redis: tags and steps on the shared server under a key prefix of the suite's own, and the
// failover fence on a private server whose replication ID really changes (a restart with its AOF gives the master a
// new one, as a promotion does).

interface Outcome {
  fenced: boolean;
  rows: number;
  identity: string;
  previous: string | null;
  skip: number;
}

describe('npx nest-leaf on Redis', () => {
  const PREFIX = 'leaf_test:cli:';
  let keys: RedisKeySpace;
  const env = { DATABASE_URL: `redis://${REDIS.host}:${REDIS.port}` };
  const cli = (...args: string[]) => runCli([...args, '--key-prefix', PREFIX], env);

  beforeAll(async () => {
    keys = await freshRedisKeys(PREFIX);
  });
  afterAll(() => keys?.close());

  it('create-tag, set-step and tags: the hashes the library serves, period rows included', async () => {
    const created = await cli('create-tag', 'order', '--step', '50', '--description', 'Orders', '--json');
    expect(created.code).toBe(0);
    expect(created.json()).toMatchObject({ created: { bizTag: 'order', maxId: '1', step: 50, description: 'Orders' } });
    expect((await cli('create-tag', 'order')).code).toBe(4);
    expect((await cli('create-tag', 'invoice:20261207', '--max-id', '9007199254740993')).code).toBe(0);
    expect((await cli('set-step', 'order', '70')).code).toBe(0);
    expect(await keys.client.hget(`${PREFIX}order`, 'step')).toBe('70');

    const { tags } = (await cli('tags', '--json')).json<{ tags: Array<Record<string, unknown>> }>();
    expect(tags.map((t) => [t.bizTag, t.maxId, t.step, t.description])).toEqual([
      ['invoice:20261207', '9007199254740993', 1000, null],
      ['order', '1', 70, 'Orders'],
    ]);
    expect(Math.abs(Date.parse(String(tags[1].updatedAt)) - Date.now())).toBeLessThan(600_000);
    // migrate has nothing to create on Redis, and says so.
    const migrate = await cli('migrate', '--json');
    expect(migrate.code).toBe(0);
    expect(migrate.json()).toMatchObject({ created: [], existing: [] });
  });

  it("keeps the library's logs off stdout: on stderr with --verbose (the store's durability warning), else nowhere", async () => {
    const verbose = await cli('tags', '--json', '--verbose');
    expect(verbose.code).toBe(0);
    expect(verbose.json<{ tags: unknown[] }>().tags).toHaveLength(2);
    expect(verbose.stderr).toMatch(/WARN.*Redis keeps nothing on disk/);
    const quiet = await cli('tags', '--json');
    expect(quiet.json<{ tags: unknown[] }>().tags).toHaveLength(2);
    expect(quiet.stderr).toBe('');
  });

  it('--key-prefix is refused on a SQL connection (2)', async () => {
    const run = await runCli(['tags', '--key-prefix', 'x:'], { DATABASE_URL: 'sqlite:/nonexistent.sqlite' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--key-prefix is for a Redis connection only/);
  });
});

describe('npx nest-leaf fence on a Redis master whose replication ID changed', () => {
  let redis: PrivateRedis;
  let env: { DATABASE_URL: string };
  const fence = async (...args: string[]) => {
    const run = await runCli(['fence', ...args, '--json'], env);
    expect([run.code, run.stderr]).toEqual([0, '']);
    return run.json<Outcome>();
  };

  beforeAll(async () => {
    redis = await PrivateRedis.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    env = { DATABASE_URL: `redis://${redis.host}:${redis.port}` };
  });
  afterAll(() => redis?.dispose());

  it('moves every row ahead once per new master, says from which identity to which, then moves nothing', async () => {
    expect((await runCli(['create-tag', 'order', '--step', '100'], env)).code).toBe(0);
    expect((await runCli(['create-tag', 'invoice:20261207', '--step', '10'], env)).code).toBe(0);
    // A store with no marker yet gets one: nothing to fence against.
    const first = await fence();
    expect(first).toMatchObject({ fenced: false, rows: 0 });
    const before = first.identity;

    // Reservations on this master, by the library, as an app makes them.
    const client = redis.client();
    const store = new RedisLeafStore(client);
    expect(await store.reserve('order', 100)).toEqual({ start: 1n, end: 101n });
    expect(await store.reserve('invoice:20261207', 10)).toEqual({ start: 1n, end: 11n });
    client.disconnect();

    await redis.kill();
    await redis.start(); // its AOF keeps the hashes; the master's replication ID is new
    const moved = await fence('--skip', '1000');
    expect(moved).toMatchObject({ fenced: true, rows: 2, previous: before, skip: 1000 });
    expect(moved.identity).toMatch(/^redis replid [0-9a-f]{40}$/);
    expect(moved.identity).not.toBe(before);

    const { tags } = (await runCli(['tags', '--json'], env)).json<{ tags: Array<{ bizTag: string; maxId: string }> }>();
    expect(tags.map((t) => [t.bizTag, t.maxId])).toEqual([
      ['invoice:20261207', '1011'],
      ['order', '1101'],
    ]);
    // Idempotent: a second run (another hook, a person) moves nothing.
    expect(await fence('--skip', '1000')).toMatchObject({ fenced: false, rows: 0, identity: moved.identity });

    const text = await runCli(['fence'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Nothing to fence in Redis at .*: it is fenced for redis replid [0-9a-f]{40}/);
  });

  it('an unreachable Redis is exit 3, naming why', async () => {
    const run = await runCli(['tags', '--json'], { DATABASE_URL: 'redis://127.0.0.1:1' });
    expect(run.code).toBe(3);
    expect(run.json<{ error: { message: string } }>().error.message).toMatch(/ECONNREFUSED/);
  });
});
