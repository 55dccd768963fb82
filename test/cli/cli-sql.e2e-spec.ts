import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { FENCE_MARKER } from 'nest-leaf';
import { TypeOrmLeafStore } from 'nest-leaf/typeorm';
import { freshDatabase, MYSQL, mysqlDataSourceOptions } from '../../harness/mariadb.js';
import { runCli } from '../support/cli.js';
import { freshPostgres, POSTGRES } from '../support/demo/postgres.js';

// `npx nest-leaf` on each SQL engine, each in a database of its own that the CLI's `migrate` fills: exit codes,
// `--json` output, and what the library's own store then finds in the table.

interface Engine {
  readonly name: string;
  /** DATABASE_URL of a fresh, empty database of the suite's own (`name` tells two apart), and its TypeORM options. */
  open(name: string): Promise<{ url: string; options: DataSourceOptions; dispose(): Promise<void> }>;
}

const ENGINES: readonly Engine[] = [
  {
    name: 'mariadb',
    open: async (name) => {
      const db = await freshDatabase(name, { withTable: false });
      await db.close();
      const auth = MYSQL.password === '' ? MYSQL.user : `${MYSQL.user}:${encodeURIComponent(MYSQL.password)}`;
      return {
        url: `mariadb://${auth}@${MYSQL.host}:${MYSQL.port}/${db.name}`,
        options: mysqlDataSourceOptions(db.name),
        dispose: async () => undefined,
      };
    },
  },
  {
    name: 'postgres',
    open: async (name) => {
      const db = await freshPostgres(name);
      await db.close();
      const auth =
        POSTGRES.password === '' ? POSTGRES.user : `${POSTGRES.user}:${encodeURIComponent(POSTGRES.password)}`;
      const { host, port, user: username, password } = POSTGRES;
      return {
        url: `postgresql://${auth}@${host}:${port}/${db.name}`,
        options: { type: 'postgres', host, port, username, password, database: db.name },
        dispose: async () => undefined,
      };
    },
  },
  {
    name: 'sqlite',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'leaf-cli-'));
      const file = join(dir, 'leaf.sqlite');
      return {
        url: `sqlite:${file}`,
        options: { type: 'better-sqlite3', database: file },
        dispose: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
];

describe.each(ENGINES)('npx nest-leaf on $name', (engine) => {
  let env: { DATABASE_URL: string };
  let dispose: () => Promise<void>;
  let options: DataSourceOptions;
  const cli = (...args: string[]) => runCli(args, env);

  /** The library's own store on the database, for what the CLI's output must agree with. */
  async function withStore<T>(use: (store: TypeOrmLeafStore) => Promise<T>): Promise<T> {
    const dataSource = await new DataSource(options).initialize();
    try {
      return await use(new TypeOrmLeafStore(dataSource));
    } finally {
      await dataSource.destroy();
    }
  }

  beforeAll(async () => {
    const db = await engine.open('cli_sql');
    env = { DATABASE_URL: db.url };
    options = db.options;
    dispose = db.dispose;
  });
  afterAll(() => dispose?.());

  it('says to run migrate while leaf_alloc is missing (6), then migrate creates it once (idempotent)', async () => {
    if (engine.name === 'sqlite') {
      // No file yet: only migrate creates one.
      const none = await cli('tags', '--json');
      expect(none.code).toBe(3);
      expect(none.json<{ error: { code: string } }>().error.code).toBe('CLI_CONNECTION');
    }
    const first = await cli('migrate', '--json');
    expect(first.code).toBe(0);
    expect(first.json()).toMatchObject({ created: ['leaf_alloc'], existing: [] });
    if (engine.name === 'sqlite') return;
    const again = await cli('migrate', '--gapless', '--json');
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ created: ['leaf_gapless'], existing: ['leaf_alloc'] });
  });

  it('on a database without the table: exit 6, CLI_NO_TABLE, the fix named', async () => {
    if (engine.name === 'sqlite') return; // a SQLite file without the table is a file migrate made: see above
    const other = await engine.open('cli_sql_empty');
    try {
      const run = await runCli(['tags', '--json'], { DATABASE_URL: other.url });
      expect(run.code).toBe(6);
      expect(run.json<{ error: { code: string; message: string } }>().error).toMatchObject({
        code: 'CLI_NO_TABLE',
        message: expect.stringContaining('npx nest-leaf migrate'),
      });
    } finally {
      await other.dispose();
    }
  });

  it('create-tag makes the row the library serves; a second one is a conflict (4)', async () => {
    const run = await cli('create-tag', 'order', '--step', '50', '--description', 'Orders', '--json');
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ created: { bizTag: 'order', maxId: '1', step: 50, description: 'Orders' } });
    await withStore(async (store) => {
      expect(await store.findTag('order')).toEqual({ bizTag: 'order', step: 50 });
      expect(await store.reserve('order', 50)).toEqual({ start: 1n, end: 51n });
    });
    const again = await cli('create-tag', 'order', '--json');
    expect(again.code).toBe(4);
    expect(again.json<{ error: { code: string } }>().error.code).toBe('LEAF_BIZ_TAG_EXISTS');
    const text = await cli('create-tag', 'order');
    expect(text.code).toBe(4);
    expect(text.stdout).toBe('');
    expect(text.stderr).toMatch(/^nest-leaf create-tag: Biz tag "order" already has a row/);
  });

  it('tags lists every row exactly, period rows and IDs past 2^53 included; the step change shows', async () => {
    expect((await cli('create-tag', 'invoice:20261207', '--step', '10')).code).toBe(0);
    expect((await cli('create-tag', 'big', '--max-id', '9223372036854775000')).code).toBe(0);
    const step = await cli('set-step', 'order', '70', '--json');
    expect(step.code).toBe(0);
    expect(step.json()).toEqual({ bizTag: 'order', previousStep: 50, step: 70, maxId: '51' });

    const run = await cli('tags', '--json');
    expect(run.code).toBe(0);
    const { tags } = run.json<{ tags: Array<Record<string, unknown>> }>();
    expect(tags.map((t) => [t.bizTag, t.maxId, t.step])).toEqual([
      ['big', '9223372036854775000', 1000],
      ['invoice:20261207', '1', 10],
      ['order', '51', 70],
    ]);
    for (const tag of tags) expect(Date.parse(String(tag.updatedAt))).toBeGreaterThan(Date.now() - 3_600_000);

    const text = await cli('tags');
    expect(text.stdout.split('\n')[0]).toMatch(/^TAG\s+MAX_ID\s+STEP\s+UPDATED\s+DESCRIPTION$/);
    expect(text.stdout).toMatch(/^order\s+51\s+70\s+\S+\s+Orders$/m);
  });

  it('refuses what LeafAdmin refuses: an unknown tag (4), a bad step or tag (2), with nothing changed', async () => {
    const unknown = await cli('set-step', 'nope', '5', '--json');
    expect(unknown.code).toBe(4);
    expect(unknown.json<{ error: { code: string } }>().error.code).toBe('LEAF_UNKNOWN_BIZ_TAG');
    for (const args of [
      ['set-step', 'order', '0'],
      ['set-step', 'order', '2e3'],
      ['set-step', 'order', '2000000'], // past maxStep: LeafAdmin's own check
      ['create-tag', 'bad\ttag'],
      ['create-tag', 'x', '--max-id', '0'],
    ]) {
      const run = await cli(...args);
      expect([args, run.code]).toEqual([args, 2]);
    }
    await withStore(async (store) => expect(await store.findTag('order')).toEqual({ bizTag: 'order', step: 70 }));
  });

  it('fence: idempotent on the server the marker names; after a server change, every row moved once', async () => {
    const first = await cli('fence', '--skip', '1000', '--json');
    expect(first.code).toBe(0);
    // The table's server never changed: the first fence makes the marker (or finds it), moving nothing.
    expect(first.json()).toMatchObject({ fenced: false, rows: 0, skip: 1000 });
    const again = await cli('fence', '--json');
    expect(again.json()).toMatchObject({ fenced: false, rows: 0, identity: first.json().identity });
    if (engine.name === 'sqlite') return; // no replication: nothing ever to fence against
    // The marker naming another server, as after a promotion (its row replicated from the old primary).
    const dataSource = await new DataSource(options).initialize();
    try {
      const p = engine.name === 'postgres' ? ['$1', '$2'] : ['?', '?'];
      await dataSource.query(`UPDATE leaf_alloc SET description = ${p[0]} WHERE biz_tag = ${p[1]}`, [
        'the old primary',
        FENCE_MARKER,
      ]);
    } finally {
      await dataSource.destroy();
    }
    const moved = await cli('fence', '--skip', '1000', '--json');
    expect(moved.code).toBe(0);
    expect(moved.json()).toMatchObject({ fenced: true, previous: 'the old primary', identity: first.json().identity });
    const { tags } = (await cli('tags', '--json')).json<{ tags: Array<{ bizTag: string; maxId: string }> }>();
    expect(tags.filter((t) => t.bizTag !== 'big').map((t) => [t.bizTag, t.maxId])).toEqual([
      ['invoice:20261207', '1001'],
      ['order', '1051'],
    ]);
    expect((await cli('fence', '--json')).json()).toMatchObject({ fenced: false, rows: 0 });
  });
});

describe('npx nest-leaf: the command line itself', () => {
  it('--help lists every command and the exit codes; a command has its own help', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['tags', 'create-tag', 'set-step', 'fence', 'migrate', 'inspect']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(help.stdout).toMatch(/^ {2}7 {2}an optional package is missing/m);
    const own = await runCli(['create-tag', '--help']);
    expect(own.code).toBe(0);
    expect(own.stdout).toMatch(/--max-id <n>/);
  });

  it('a usage error is exit code 2 of the process (every case: cli-run.spec.ts, in process)', async () => {
    const run = await runCli(['tags', '--step', '5'], { DATABASE_URL: 'mysql://root:hunter2@db:3306/shop' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^nest-leaf tags: tags does not take --step/);
    const json = await runCli(['tags', '--json']);
    expect(json.code).toBe(2);
    expect(json.json<{ error: { code: string } }>().error.code).toBe('CLI_USAGE');
  });

  it('an unreachable server exits 3, with --json too, and never shows the password', async () => {
    const refused = await runCli(['tags', '--json'], { DATABASE_URL: 'postgres://leaf:hunter2@127.0.0.1:1/shop' });
    expect(refused.code).toBe(3);
    expect(refused.json<{ error: { code: string; exitCode: number } }>().error).toMatchObject({
      code: 'CLI_CONNECTION',
      exitCode: 3,
    });
    expect(refused.stdout).not.toContain('hunter2');
    const denied = await runCli(['tags'], {
      DATABASE_URL: `mysql://${MYSQL.user}:wrong-password@${MYSQL.host}:${MYSQL.port}/mysql`,
    });
    expect(denied.code).toBe(3);
    expect(denied.stderr).toMatch(/Access denied/);
  });
});
