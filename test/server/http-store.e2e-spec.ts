import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import assert from 'node:assert/strict';
import { setImmediate as yieldToIo } from 'node:timers/promises';
import {
  LeafError,
  LeafForbiddenError,
  LeafStoreError,
  UnknownBizTagError,
  type IdGenerator,
  type LeafModuleOptions,
} from 'nest-leaf';
import { HttpLeafStore } from 'nest-leaf/http';
import { describeLeafStoreContract } from 'nest-leaf/testing';
import { freshDatabase, type TestDatabase } from '../../harness/mariadb.js';
import { expectStrictlyIncreasing, expectUnique, sleep } from '../../harness/assertions.js';
import { startLeafServer, type LeafServerApp } from '../support/leaf-server.js';
import { freePort } from '../support/ports.js';
import { captureLogs, Generators } from '../support/redis.js';

/**
 * HttpLeafStore against a LeafServerModule on MariaDB: the store contract every store passes, then the way it is
 * meant to be used, IdGenerators in many services reserving through one server. The server's routes on their own
 * are in leaf-server.e2e-spec.ts.
 */
const ADMIN = 'contract-admin-token-0123456789';
const SERVICE = 'service-token-0123456789abcdef';
const TAGS = ['alpha', 'beta', 'gamma'];

// Leaf's own table, compared case-insensitively by MariaDB's default collation: the exact-lookup case meets
// UnknownBizTagError.similar here, carried through the server's 404 body and thrown again by the client.
describeLeafStoreContract('HttpLeafStore through LeafServerModule on MariaDB', async () => {
  const db = await freshDatabase('http_store_contract');
  const server = await startLeafServer({
    database: db.name,
    leaf: { bizTags: ['contract_boot'] },
    server: { clients: [{ name: 'contract', token: ADMIN, tags: '*', admin: true }] },
  });
  return {
    store: new HttpLeafStore({ baseUrl: server.url, token: ADMIN }),
    close: async () => {
      await server.close();
      await db.close();
    },
  };
});

/** What every call of a load got: the IDs of each (client, tag) loop in the order issued, and the failures. */
interface Load {
  readonly ids: Map<string, bigint[]>;
  readonly failures: unknown[];
  calls: number;
}

/**
 * One sequential loop per (client, tag), all at once, until `stop()` resolves: `nextId`, and every fifth call
 * `nextIds` of 1-20. Sequential per loop, so each loop's IDs must come in increasing order; the loops yield to I/O
 * now and then, since the server runs in this process and IDs from memory never wait for anything.
 */
async function load(clients: readonly IdGenerator[], until: Promise<unknown>, pauseMs = 0): Promise<Load> {
  let running = true;
  void until.then(() => (running = false));
  const result: Load = { ids: new Map(), failures: [], calls: 0 };
  const loops = clients.flatMap((ids, c) =>
    TAGS.map(async (tag) => {
      const got: bigint[] = [];
      result.ids.set(`${c}:${tag}`, got);
      for (let i = 0; running; i++) {
        try {
          if (i % 5 === 0) got.push(...(await ids.nextIds(tag, 1 + (i % 20))));
          else got.push(await ids.nextId(tag));
        } catch (error) {
          result.failures.push(error);
        }
        result.calls++;
        if (pauseMs > 0) await sleep(pauseMs);
        else if (i % 50 === 0) await yieldToIo();
      }
    }),
  );
  await Promise.all(loops);
  return result;
}

function expectSound(result: Load): void {
  expect(result.failures.slice(0, 3)).toEqual([]);
  for (const ids of result.ids.values()) expectStrictlyIncreasing(ids);
  for (const tag of TAGS) {
    expectUnique([...result.ids].filter(([key]) => key.endsWith(`:${tag}`)).flatMap(([, ids]) => ids));
  }
}

describe('IdGenerators of 8 services on HttpLeafStore, one server', () => {
  let db: TestDatabase;
  let server: LeafServerApp;
  const generators = new Generators();
  const startClients = (options: Omit<LeafModuleOptions, 'bizTags'>) =>
    Promise.all(
      Array.from({ length: 8 }, () =>
        generators.start(new HttpLeafStore({ baseUrl: server.url, token: SERVICE }), { bizTags: TAGS, ...options }),
      ),
    );
  const startServer = (port = 0) =>
    startLeafServer({
      database: db.name,
      port,
      leaf: { bizTags: TAGS, step: 500 },
      server: {
        clients: [
          { name: 'services', token: SERVICE, tags: TAGS },
          { name: 'ops', token: ADMIN, tags: '*', admin: true },
        ],
      },
    });

  beforeAll(async () => {
    db = await freshDatabase('http_store_clients');
    server = await startServer();
  });

  afterAll(async () => {
    await generators.closeAll();
    await server?.close();
    await db?.close();
  });

  it('turns what the server refuses into errors that say what to fix; a network error stays transient', async () => {
    const store = (token: string, baseUrl = server.url) => new HttpLeafStore({ baseUrl, token });
    const refusal = (call: Promise<unknown>) =>
      call.then(
        () => assert.fail('resolved'),
        (error: unknown) => error,
      );

    const wrongToken = await refusal(store('not-the-right-token-000').reserve('alpha', 1));
    expect(wrongToken).toBeInstanceOf(LeafStoreError);
    expect((wrongToken as Error).message).toMatch(/answered 401: the server refused the token/);
    const otherTag = await refusal(store(SERVICE).reserve('contract_only', 1));
    expect(otherTag).toBeInstanceOf(LeafForbiddenError);
    expect(otherTag).toMatchObject({ code: 'LEAF_FORBIDDEN', bizTag: 'contract_only' });
    expect((otherTag as Error).message).toMatch(/answered 403: .*Add the tag to that client's tags/);
    const notAdmin = await refusal(store(SERVICE).setStep('alpha', 10));
    expect(notAdmin).toBeInstanceOf(LeafForbiddenError);
    expect((notAdmin as Error).message).toMatch(/is not an admin/);
    const tooBig = await refusal(store(SERVICE).reserve('alpha', 2_000_000));
    expect(tooBig).toBeInstanceOf(LeafStoreError);
    expect((tooBig as Error).message).toMatch(/answered 400: .*step must be an integer from 1 to 1000000 \(maxStep\)/);
    const wrongPath = await refusal(store(SERVICE, `${server.url}/nowhere`).reserve('alpha', 1));
    expect((wrongPath as Error).message).toMatch(/no such route. Check HttpLeafStore's baseUrl/);
    // The admin's token may use any tag: an unknown one is the typed error, as from a database.
    const unknown = await refusal(store(ADMIN).reserve('no_such_tag', 1));
    expect(unknown).toBeInstanceOf(UnknownBizTagError);

    const closed = new HttpLeafStore({ baseUrl: 'http://127.0.0.1:9', token: SERVICE });
    const down = await refusal(closed.listTags());
    expect(down).toBeInstanceOf(Error);
    expect(down).not.toBeInstanceOf(LeafError);
    expect(() => new HttpLeafStore({ baseUrl: 'ids:3000', token: SERVICE })).toThrow(/http: or https:/);
  });

  it("a service's callers get LeafForbiddenError for a tag its token may not use, at once", async () => {
    const [ids] = await Promise.all([
      generators.start(new HttpLeafStore({ baseUrl: server.url, token: SERVICE }), { bizTags: TAGS }),
    ]);
    for (const call of [() => ids.nextId('contract_only'), () => ids.nextIds('contract_only', 3)]) {
      const started = performance.now();
      const error = await call().then(
        () => assert.fail('resolved'),
        (refused: unknown) => refused,
      );
      expect(error).toBeInstanceOf(LeafForbiddenError);
      expect(error).toMatchObject({ code: 'LEAF_FORBIDDEN', bizTag: 'contract_only' });
      expect(performance.now() - started).toBeLessThan(1000); // refused at once, not at waitTimeoutMs
    }
    expect(await ids.nextId('alpha')).toBeGreaterThan(0n);
    await generators.closeAll();
  });

  it('warns of a step the row does not have only when the service set one, and without SQL it cannot run', async () => {
    const logs = captureLogs();
    try {
      const store = () => new HttpLeafStore({ baseUrl: server.url, token: SERVICE });
      await generators.start(store(), { bizTags: TAGS }); // the default step, 1000, against rows of 500
      expect(logs.warn.filter((line) => line.includes('is configured with step'))).toEqual([]);
      await generators.start(store(), { bizTags: TAGS, step: 200 });
      const warned = logs.warn.filter((line) => line.includes('is configured with step'));
      expect(warned).toHaveLength(TAGS.length);
      expect(warned[0]).toMatch(
        /^"alpha" is configured with step 200 but its row in the ID server at http:\/\/127\.0\.0\.1:\d+ says 500; the row wins\. To change it: LeafAdmin\.setStep\("alpha", 200\) with the token of an admin client of the ID server\.$/,
      );
      expect(warned.join('\n')).not.toMatch(/UPDATE|leaf_alloc|SQL/);
    } finally {
      logs.restore();
      await generators.closeAll();
    }
  });

  it('boots while the server comes up within bootTimeoutMs; past it, fails naming the server, not a database', async () => {
    const port = await freePort();
    const store = new HttpLeafStore({ baseUrl: `http://127.0.0.1:${port}`, token: SERVICE });
    const giveUp = await generators.start(store, { bizTags: TAGS, bootTimeoutMs: 800 }).then(
      () => assert.fail('booted without a server'),
      (error: unknown) => error,
    );
    expect(giveUp).toBeInstanceOf(LeafStoreError);
    expect((giveUp as Error).message).toMatch(
      new RegExp(
        `^Could not read the tags from the ID server at http://127\\.0\\.0\\.1:${port} at startup \\(retried for up ` +
          'to bootTimeoutMs, 800 ms\\): connection refused: .*\\. Check that the ID server at .* is up and reachable',
      ),
    );
    expect((giveUp as Error).message).not.toMatch(/database|leaf_alloc|SELECT/);

    // The server comes up 1.5 s after the service starts booting: the boot waits for it.
    const booting = generators.start(new HttpLeafStore({ baseUrl: `http://127.0.0.1:${port}`, token: SERVICE }), {
      bizTags: TAGS,
    });
    await sleep(1500);
    const late = await startServer(port);
    try {
      const ids = await booting;
      expect(await ids.nextId('alpha')).toBeGreaterThan(0n);
    } finally {
      await generators.closeAll();
      await late.close();
    }
  }, 30_000);

  it('hammering 3 tags for 3 s: no duplicate, every client increasing, every range reserved through the server', async () => {
    // Small fixed segments (the rows' step, 500), so the clients come back to the server often while they hammer it.
    const clients = await startClients({ dynamicStep: false, runwayMs: 0 });
    const reservesBefore = server.store.calls.reserve;
    const started = performance.now();
    const result = await load(clients, sleep(3000));
    const seconds = (performance.now() - started) / 1000;
    expectSound(result);
    const issued = [...result.ids.values()].reduce((sum, ids) => sum + ids.length, 0);
    const reserves = server.store.calls.reserve - reservesBefore;
    expect(reserves).toBeGreaterThan(8 * TAGS.length);
    for (const ids of clients) for (const snapshot of ids.inspect()) expect(snapshot.failedCalls).toBe(0);
    console.log(
      `8 clients × 3 tags through one server: ${issued} IDs in ${seconds.toFixed(1)} s ` +
        `(${Math.round(issued / seconds)}/s), ${result.calls} calls, ${reserves} reservations through the server`,
    );
    await generators.closeAll();
  }, 60_000);

  it('a server restart shorter than the clients’ runway costs them no failed call', async () => {
    const clients = await startClients({ runwayMs: 20_000 });
    let stopLoad!: () => void;
    const running = load(clients, new Promise<void>((resolve) => (stopLoad = resolve)), 2);
    let heldMs: number | undefined;
    let downMs: number | undefined;
    try {
      // The clients learn their rate and fill their runway: every tag of every client holds 10 s of IDs at least.
      const runway = () => Math.min(...clients.flatMap((ids) => ids.inspect().map((s) => s.runwayMs ?? 0)));
      for (const waitUntil = performance.now() + 20_000; runway() < 10_000;) {
        if (performance.now() > waitUntil) throw new Error(`the clients' runway is still ${runway()} ms after 20 s`);
        await sleep(100);
      }
      heldMs = runway();
      const port = server.port;
      const down = performance.now();
      await server.close();
      await sleep(1500);
      server = await startServer(port);
      downMs = performance.now() - down;
      await sleep(2500); // their reservations fail meanwhile, then succeed again against the new server
    } finally {
      stopLoad();
    }
    const result = await running;
    expectSound(result);
    const snapshots = clients.flatMap((ids) => ids.inspect());
    expect(snapshots.map((s) => s.failedCalls)).toEqual(Array(snapshots.length).fill(0));
    // Reserving works again, from the new server.
    expect(snapshots.filter((s) => !s.lastReservationOk || s.consecutiveFailures > 0)).toEqual([]);
    const errors = snapshots.reduce((sum, s) => sum + s.errors, 0);
    console.log(
      `server down ${Math.round(downMs!)} ms: ${result.calls} calls, 0 failed; ${errors} reservation attempts ` +
        `failed meanwhile and were retried, ${server.store.calls.reserve} reservations from the new server; every ` +
        `client held ${Math.round(heldMs!)} ms of IDs at least when the server went down`,
    );
  }, 60_000);
});
