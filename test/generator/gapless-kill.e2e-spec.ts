import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { IdGenerator } from 'nest-leaf';
import { sleep } from '../../harness/assertions.js';
import {
  GAPLESS_TEST_ENGINES,
  gaplessDatabase,
  gaplessGenerator,
  transaction,
  type GaplessDatabase,
} from '../support/gapless.js';

// A process killed (SIGKILL) while it holds a gapless number: the database rolls its transaction back (its
// connection is gone, or on SQLite its lock, and the journal is rolled back by the next writer), the caller waiting for
// the series gets that very number, and the committed numbers stay 1, 2, 3, … The holder takes its number through the
// library (nextGaplessCode over the plain driver's executor), in a process of its own.

const ROOT = join(import.meta.dirname, '..', '..');
const HOLDER = join(ROOT, 'test/support/children/gapless-holder.ts');
const REGISTER = join(ROOT, 'test/support/ts-register.mjs');
const TAG = 'receipt';

interface Holder {
  readonly child: ChildProcess;
  /** The code it holds, once it holds it. */
  readonly holding: Promise<string>;
}

function spawnHolder(engine: string, target: string): Holder {
  const child = spawn(process.execPath, ['--import', REGISTER, HOLDER, engine, target, TAG], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const holding = new Promise<string>((resolve, reject) => {
    const look = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^holding (\S+)/m.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.on('exit', (code, signal) => reject(new Error(`the holder exited (${signal ?? code}) early:\n${output}`)));
  });
  holding.catch(() => undefined);
  return { child, holding };
}

/** What a child connects with: the SQLite file, or the server's options as JSON. */
function targetOf(db: GaplessDatabase): string {
  const options = db.options as unknown as Record<string, unknown>;
  if (db.engine === 'sqlite') return String(options.database);
  const { host, port, username, password, database } = options;
  return JSON.stringify({ host, port, user: username, password, database });
}

describe.each(GAPLESS_TEST_ENGINES)('gapless numbers when the holder of a number is killed, on %s', (engine) => {
  let db: GaplessDatabase;
  let ids: IdGenerator;
  let close: () => Promise<void>;
  let holder: Holder | undefined;

  const take = () =>
    transaction(db.dataSource, async (manager) => {
      const code = await ids.nextGaplessCode(TAG, { manager });
      await manager.query(`INSERT INTO numbered (code) VALUES (${db.p(1)})`, [code]);
      return code;
    });

  beforeAll(async () => {
    db = await gaplessDatabase(engine, 'gapless_kill');
    ({ ids, close } = await gaplessGenerator({
      bizTags: [{ tag: TAG, gapless: true, format: 'K-{seq:6}' }],
      waitTimeoutMs: 10_000,
    }));
  });
  afterEach(() => {
    holder?.child.kill('SIGKILL');
    holder = undefined;
  });
  afterAll(async () => {
    await close?.();
    await db?.close();
  });

  it('rolls the killed transaction back: the next caller gets its number, the committed ones stay continuous', async () => {
    expect([await take(), await take()]).toEqual(['K-000001', 'K-000002']);
    holder = spawnHolder(engine, targetOf(db));
    const held = await holder.holding;
    expect(held).toBe('K-000003');

    // The next caller waits for the holder's transaction to end...
    let settled = false;
    const waiting = take().finally(() => (settled = true));
    await sleep(300);
    expect(settled).toBe(false);
    // ...which it never does on its own: the process dies holding the number.
    const exited = new Promise((resolve) => holder!.child.once('exit', resolve));
    const killedAt = performance.now();
    holder.child.kill('SIGKILL');
    await exited;

    expect(await waiting).toBe('K-000003');
    const afterKillMs = performance.now() - killedAt;
    expect(afterKillMs).toBeLessThan(3_000);
    expect(await take()).toBe('K-000004');
    expect((await db.codes()).sort()).toEqual(['K-000001', 'K-000002', 'K-000003', 'K-000004']);
    console.log(`${engine}: the waiting caller got ${held} ${Math.round(afterKillMs)} ms after the SIGKILL`);
  });
});
