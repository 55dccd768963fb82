import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent, request } from 'node:http';
import type { DataSourceOptions } from 'typeorm';
import { type IdGenerator } from 'nest-leaf';
import { LeafAllocMigration } from 'nest-leaf/typeorm';
import { HttpLeafStore } from 'nest-leaf/http';
import { freshDatabase } from '../../harness/mariadb.js';
import { freshPostgres, POSTGRES } from '../support/demo/postgres.js';
import { expectUnique } from '../../harness/assertions.js';
import { availablePlatforms, call, startLeafServer, type LeafServerApp } from '../support/leaf-server.js';
import { Generators } from '../support/redis.js';

/**
 * `nest-leaf/server` against clients that hold a valid token and use it against others: giving back IDs they were
 * never handed, reaching rows their tags do not own, spelling a tag so the collation lands on another row, filling
 * the table, and bursting lookups of invented tags. On MariaDB (case-insensitive, space-padded collation) and
 * PostgreSQL, on every HTTP platform installed. Each case fails on the server before these checks existed.
 */
const PLATFORMS = await availablePlatforms();
/** Noon of 2026-12-07 UTC: the server's clock for periods, so "current" and "next" are fixed. */
const NOW = Date.UTC(2026, 11, 7, 12);
const CAP = 100;
const TOKENS = {
  shop: 'shop-token-0123456789abcdef',
  mallory: 'mallory-token-0123456789abcdef',
  billing: 'billing-token-0123456789abcdef',
  owner: 'owner-token-0123456789abcdef',
  prober: 'prober-token-0123456789abcdef',
  flooder: 'flooder-token-0123456789abcdef',
  flooder2: 'flooder2-token-0123456789abcdef',
  ops: 'ops-token-0123456789abcdef-admin',
};

/** A database of the suite's own, on one engine, and what the test reads of `leaf_alloc` directly. */
interface Engine {
  readonly database: string | DataSourceOptions;
  maxId(tag: string): Promise<bigint | undefined>;
  rows(): Promise<number>;
  close(): Promise<void>;
}

const ENGINES: Record<string, (suite: string) => Promise<Engine>> = {
  mariadb: async (suite) => {
    const db = await freshDatabase(suite);
    return {
      database: db.name,
      maxId: (tag) => db.maxId(tag),
      rows: async () => Number((await db.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM leaf_alloc'))[0].n),
      close: () => db.close(),
    };
  },
  postgres: async (suite) => {
    const db = await freshPostgres(suite);
    const options: DataSourceOptions = {
      type: 'postgres',
      ...{ host: POSTGRES.host, port: POSTGRES.port, username: POSTGRES.user, password: POSTGRES.password },
      database: db.name,
      migrations: [LeafAllocMigration],
      migrationsRun: true,
    };
    return {
      database: options,
      maxId: async (tag) => {
        const [row] = await db.query<{ m: string }>('SELECT max_id::text AS m FROM leaf_alloc WHERE biz_tag = $1', [
          tag,
        ]);
        return row === undefined ? undefined : BigInt(row.m);
      },
      rows: async () => Number((await db.query<{ n: string }>('SELECT COUNT(*) AS n FROM leaf_alloc'))[0].n),
      close: () => db.close(),
    };
  },
};

/**
 * GETs every URL at once, all in flight together over up to 500 sockets (the server's listen backlog, 511, takes
 * that many connections at once on a loaded machine; 2,000 sockets opened together get some reset), and answers
 * each one's status.
 */
async function burst(urls: readonly string[], token: string): Promise<Array<{ status: number }>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 500 });
  try {
    return await Promise.all(
      urls.map(
        (target) =>
          new Promise<{ status: number }>((resolve, reject) => {
            const sent = request(target, { agent, headers: { authorization: `Bearer ${token}` } }, (answer) => {
              answer.resume();
              answer.on('end', () => resolve({ status: answer.statusCode ?? 0 }));
            });
            sent.on('error', reject);
            sent.end();
          }),
      ),
    );
  } finally {
    agent.destroy();
  }
}

const CASES = Object.keys(ENGINES).flatMap((engine) => PLATFORMS.map((platform) => [engine, platform] as const));

describe.each(CASES)('ID server on %s, %s, against hostile clients', (engine, platform) => {
  let db: Engine;
  let server: LeafServerApp;
  const generators = new Generators();
  const url = (path: string) => `${server.url}/api/segment${path}`;
  const post = (path: string, token: string, body: unknown) => call(url(path), { method: 'POST', token, body });
  const reserve = async (tag: string, token: string, step: number) => {
    const answer = await post(`/reserve/${encodeURIComponent(tag)}`, token, { step });
    expect([tag, answer.status]).toEqual([tag, 200]);
    const { start, end } = answer.json<{ start: string; end: string }>();
    return { start: BigInt(start), end: BigInt(end) };
  };
  const giveBack = (tag: string, token: string, firstUnused: bigint | string, end: bigint | string) =>
    post(`/give-back/${encodeURIComponent(tag)}`, token, { firstUnused: String(firstUnused), end: String(end) });

  beforeAll(async () => {
    db = await ENGINES[engine](`hostile_${engine}_${platform}`);
    server = await startLeafServer({
      database: db.database,
      platform,
      leaf: {
        bizTags: ['order', 'payment', 'ORDERX', { tag: 'invoice', step: 50, period: 'year', format: 'F{yyyy}-{seq}' }],
        step: 100,
        clock: () => NOW,
        reservationTimeoutMs: 15_000,
      },
      server: {
        clients: [
          { name: 'shop', token: TOKENS.shop, tags: ['order'] },
          { name: 'mallory', token: TOKENS.mallory, tags: ['order', 'Payment', 'PAYMENT', 'ORDERX '] },
          { name: 'billing', token: TOKENS.billing, tags: ['invoice'] },
          { name: 'owner', token: TOKENS.owner, tags: ['order:2026'] },
          { name: 'prober', token: TOKENS.prober, tags: '*' },
          { name: 'flooder', token: TOKENS.flooder, tags: '*' },
          { name: 'flooder2', token: TOKENS.flooder2, tags: '*' },
          { name: 'ops', token: TOKENS.ops, tags: '*', admin: true },
        ],
        anonymousGet: ['order'],
        unknownTagCacheMs: 60_000,
        maxUnknownTagsPerMinute: CAP,
      },
    });
    // Another client's tag shaped like a period row of `order`, which has no period.
    const inserted = await post('/tags/order%3A2026', TOKENS.ops, { maxId: '1', step: 10 });
    expect(inserted.json()).toEqual({ inserted: true });
  });

  afterAll(async () => {
    await generators.closeAll();
    await server?.close();
    await db?.close();
  });

  describe('give-back returns only what the client was handed, once', () => {
    it('refuses a tail below the range handed, zero, past its end, twice, or never handed; moves nothing', async () => {
      const first = await reserve('order', TOKENS.shop, 10);
      const mine = await reserve('order', TOKENS.shop, 1);
      expect(mine.start).toBeGreaterThan(1n);
      const refused: Array<[string, bigint | string, bigint | string, string, number, string]> = [
        ['the attack: from 1 to max_id', '1', mine.end, TOKENS.shop, 400, 'below the start of the range'],
        ['firstUnused 0', '0', mine.end, TOKENS.shop, 400, 'firstUnused must be at least 1'],
        ['past its end', mine.end + 1n, mine.end, TOKENS.shop, 400, 'is past end'],
        ['an end never handed', mine.start, mine.end + 5n, TOKENS.shop, 409, 'No range of "order" ending at'],
        ["another client's range", mine.start, mine.end, TOKENS.mallory, 409, 'from client "mallory"'],
      ];
      for (const [name, firstUnused, end, token, status, says] of refused) {
        const answer = await giveBack('order', token, firstUnused, end);
        expect([name, answer.status, answer.json().message]).toEqual([name, status, expect.stringContaining(says)]);
        if (status === 409) expect(answer.json().code).toBe('LEAF_GIVE_BACK_REFUSED');
        expect([name, await db.maxId('order')]).toEqual([name, mine.end]);
      }
      // Its own unused rest comes back, once; then the range before it, which max_id now ends again.
      expect((await giveBack('order', TOKENS.shop, mine.start, mine.end)).json()).toEqual({ givenBack: true });
      expect(await db.maxId('order')).toBe(mine.start);
      expect((await giveBack('order', TOKENS.shop, mine.start, mine.end)).status).toBe(409);
      expect(first.end).toBe(mine.start);
      expect((await giveBack('order', TOKENS.shop, first.start + 5n, first.end)).json()).toEqual({ givenBack: true });
      expect(await db.maxId('order')).toBe(first.start + 5n);
      // Once another reservation came in between, the compare-and-set keeps a tail a gap.
      const older = await reserve('order', TOKENS.shop, 10);
      await reserve('order', TOKENS.mallory, 1);
      expect((await giveBack('order', TOKENS.shop, older.start, older.end)).json()).toEqual({ givenBack: false });
    });

    it('a non-admin that reserves, then gives back from 1, makes no service repeat an ID', async () => {
      const service = () =>
        generators.start(new HttpLeafStore({ baseUrl: server.url, token: TOKENS.shop }), {
          bizTags: ['order'],
          step: 20,
          dynamicStep: false,
          runwayMs: 0,
        });
      const a: IdGenerator = await service();
      const issued = await a.nextIds('order', 30);
      const probe = await reserve('order', TOKENS.mallory, 1); // learns max_id
      for (const firstUnused of ['1', '0']) {
        expect((await giveBack('order', TOKENS.mallory, firstUnused, probe.end)).status).toBe(400);
      }
      const b = await service();
      issued.push(...(await b.nextIds('order', 40)), ...(await a.nextIds('order', 30)));
      expectUnique(issued);
      expect([...a.inspect(), ...b.inspect()].map((s) => s.failedCalls)).toEqual([0, 0]);
      await generators.closeAll();
    });
  });

  describe('tags belong to clients exactly', () => {
    it("a client allowed a plain tag gets 403 for every route of another client's row shaped like its period", async () => {
      const row = encodeURIComponent('order:2026');
      const routes: Array<[string, string, unknown?]> = [
        ['GET', `/get/${row}`],
        ['GET', `/get/${row}?count=2`],
        ['HEAD', `/get/${row}`],
        ['GET', `/tags/${row}`],
        ['POST', `/reserve/${row}`, { step: 1 }],
        ['POST', `/give-back/${row}`, { firstUnused: '1', end: '2' }],
      ];
      for (const [method, path, body] of routes) {
        const answer = await call(url(path), { method, token: TOKENS.shop, body });
        expect([method, path, answer.status]).toEqual([method, path, 403]);
      }
      expect((await call(url(`/get/${row}`))).status).toBe(401); // anonymousGet ['order'] does not open it either
      const listed = (token: string) =>
        call(url('/tags'), { token }).then((answer) => answer.json<{ rows: Array<{ bizTag: string }> }>().rows);
      expect((await listed(TOKENS.shop)).map((r) => r.bizTag)).toEqual(['order']);
      expect((await listed(TOKENS.owner)).map((r) => r.bizTag)).toEqual(['order:2026']);
      expect((await reserve('order:2026', TOKENS.owner, 1)).start).toBe(1n);
    });

    it('a period tag reaches its rows only with a real date of its own period', async () => {
      expect((await reserve('invoice:2026', TOKENS.billing, 5)).end).toBeGreaterThan(1n);
      for (const row of ['invoice:202612', 'invoice:20261207', 'invoice:0000', 'invoice:2026x']) {
        const answer = await post(`/reserve/${encodeURIComponent(row)}`, TOKENS.billing, { step: 1 });
        expect([row, answer.status]).toEqual([row, 403]);
      }
    });

    it('every route looks the tag up exactly: no collation lands on another row', async () => {
      const payment = await db.maxId('payment');
      const orderx = await db.maxId('ORDERX');
      for (const tag of ['Payment', 'PAYMENT', 'ORDERX ']) {
        const path = encodeURIComponent(tag);
        const reserved = await post(`/reserve/${path}`, TOKENS.mallory, { step: 1 });
        expect([tag, reserved.status, reserved.json().code]).toEqual([tag, 404, 'LEAF_UNKNOWN_BIZ_TAG']);
        expect([tag, (await call(url(`/get/${path}`), { method: 'HEAD', token: TOKENS.mallory })).status]).toEqual([
          tag,
          404,
        ]);
        expect([tag, (await call(url(`/tags/${path}`), { token: TOKENS.mallory })).status]).toEqual([tag, 404]);
      }
      const range = await reserve('payment', TOKENS.prober, 10);
      const spelled = await giveBack('PAYMENT', TOKENS.prober, range.start, range.end);
      expect([spelled.status, spelled.json().code]).toEqual([409, 'LEAF_GIVE_BACK_REFUSED']);
      expect(await db.maxId('payment')).toBe(range.end);
      const step = await call(url('/tags/PAYMENT/step'), { method: 'PUT', token: TOKENS.ops, body: { step: 7 } });
      if (engine === 'mariadb') expect([step.status, step.json().similar]).toEqual([404, 'payment']);
      else expect(step.json()).toEqual({ updated: false });
      expect((await call(url('/tags/payment'), { token: TOKENS.ops })).json()).toEqual({
        bizTag: 'payment',
        step: 100,
      });
      expect(await db.maxId('ORDERX')).toBe(orderx);
      expect(payment).toBeDefined();
    });
  });

  describe('row creation', () => {
    it('refuses 100,000 rows from a client that is not an admin, creating none', async () => {
      const before = await db.rows();
      const batches = Array.from({ length: 50 }, (_, b) =>
        Array.from({ length: 2000 }, (_, i) => ({
          tag: `order:${String(b * 2000 + i).padStart(8, '0')}`,
          step: 2_147_483_647,
        })),
      );
      for (const rows of batches) {
        const answer = await post('/tags', TOKENS.shop, { rows });
        expect([answer.status, answer.json().code]).toEqual([403, 'LEAF_FORBIDDEN']);
      }
      expect(await db.rows()).toBe(before);
    }, 120_000);

    it("lets a client create its period tag's current and next rows with the server's step, nothing else", async () => {
      const create = (tag: string, step = 50) => post('/tags', TOKENS.billing, { rows: [{ tag, step }] });
      expect((await create('invoice:2027')).json()).toEqual({ created: true });
      expect(await db.maxId('invoice:2027')).toBe(1n);
      const refused: Array<[string, number, string]> = [
        ['invoice:2025', 50, 'is not the current (2026) or next (2027) year'],
        ['invoice:2028', 50, 'is not the current (2026) or next (2027) year'],
        ['invoice:2027', 999, 'has step 50 in the bizTags of this server'],
        ['invoice:20261207', 50, 'a real date of it'],
        ['order:2026', 50, 'may not use the tag'],
      ];
      for (const [tag, step, says] of refused) {
        const answer = await create(tag, step);
        expect([tag, answer.status, answer.json().message]).toEqual([tag, 403, expect.stringContaining(says)]);
      }
      expect(await db.maxId('invoice:2025')).toBeUndefined();
      const admin = await post('/tags', TOKENS.ops, { rows: [{ tag: 'invoice:2030', step: 7 }] });
      expect(admin.json()).toEqual({ created: true });
    });
  });

  describe('bad requests', () => {
    /** A body as a client sends it, with the Content-Type it claims (none when null). */
    const send = (method: string, path: string, token: string, contentType: string | null, body: string) =>
      fetch(url(path), {
        method,
        headers: { authorization: `Bearer ${token}`, ...(contentType === null ? {} : { 'content-type': contentType }) },
        // Bytes, so that fetch adds no Content-Type of its own.
        body: new TextEncoder().encode(body),
      }).then(async (answer) => ({ status: answer.status, text: await answer.text() }));
    const FORM = 'application/x-www-form-urlencoded';
    const cases: Array<[string, string, string, string, string | null, string, number, string]> = [
      ['a form body', 'POST', '/reserve/order', TOKENS.shop, FORM, 'step=1', 400, `sent as \\"${FORM}\\"`],
      ['JSON sent as text/plain', 'POST', '/reserve/order', TOKENS.shop, 'text/plain', '{"step":1}', 400, 'text/plain'],
      ['JSON with no Content-Type', 'POST', '/reserve/order', TOKENS.shop, null, '{"step":1}', 400, 'no Content-Type'],
      ['a form give-back', 'POST', '/give-back/order', TOKENS.shop, FORM, 'firstUnused=1&end=2', 400, FORM],
      ['a form createTags', 'POST', '/tags', TOKENS.ops, FORM, 'rows=x', 400, FORM],
      ['a form setStep', 'PUT', '/tags/order/step', TOKENS.ops, FORM, 'step=5', 400, FORM],
      [
        'a zero-width joiner in the tag',
        'POST',
        '/reserve/ord%E2%80%8Der',
        TOKENS.ops,
        'application/json',
        '{"step":1}',
        400,
        'U+200D',
      ],
      [
        'a tag character in the tag',
        'POST',
        '/reserve/order%F3%A0%81%A1',
        TOKENS.ops,
        'application/json',
        '{"step":1}',
        400,
        'U+E0061',
      ],
      [
        'firstUnused 0',
        'POST',
        '/give-back/order',
        TOKENS.shop,
        'application/json',
        '{"firstUnused":"0","end":"5"}',
        400,
        'at least 1',
      ],
      [
        'a give-back never handed',
        'POST',
        '/give-back/order',
        TOKENS.ops,
        'application/json',
        '{"firstUnused":"3","end":"5"}',
        409,
        'LEAF_GIVE_BACK_REFUSED',
      ],
      [
        'a row of a plain tag',
        'POST',
        '/reserve/order%3A20261207',
        TOKENS.shop,
        'application/json',
        '{"step":1}',
        403,
        'LEAF_FORBIDDEN',
      ],
      [
        'a made-up date',
        'POST',
        '/reserve/invoice%3A2026%2B',
        TOKENS.billing,
        'application/json',
        '{"step":1}',
        403,
        'LEAF_FORBIDDEN',
      ],
    ];
    it.each(cases)('%s: %s %s', async (name, method, path, token, contentType, body, status, says) => {
      const before = await db.maxId('order');
      const answer = await send(method, path, token, contentType, body);
      if (platform === 'fastify' && contentType === null) {
        // Fastify refuses a body without a Content-Type itself, before any route runs.
        expect([name, answer.status, answer.text]).toEqual([
          name,
          415,
          expect.stringContaining('Unsupported Media Type'),
        ]);
      } else {
        expect([name, answer.status, answer.text]).toEqual([name, status, expect.stringContaining(says)]);
      }
      expect(await db.maxId('order')).toBe(before);
    });
  });

  it(`${2000} concurrent requests for invented tags cost at most ${CAP} lookups of a slow store per client`, async () => {
    server.store.findTagDelayMs = 200;
    try {
      // Each client has a minute's allowance of its own.
      for (const [route, prefix, token] of [
        ['/tags/', 'ghost_json_', TOKENS.flooder],
        ['/get/', 'ghost_leaf_', TOKENS.flooder2],
      ] as const) {
        const answers = await burst(
          Array.from({ length: 2000 }, (_, i) => `${url(route)}${prefix}${i}`),
          token,
        );
        const lookups = [...server.store.findTagCalls].filter(([tag]) => tag.startsWith(prefix));
        const statuses = new Map<number, number>();
        for (const { status } of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(lookups.length).toBeLessThanOrEqual(CAP);
        expect(statuses.get(429)).toBeGreaterThanOrEqual(2000 - CAP);
        console.log(
          `${engine}/${platform} ${route}: ${lookups.length} lookups, answers ${JSON.stringify([...statuses])}`,
        );
      }
    } finally {
      server.store.findTagDelayMs = 0;
    }
  }, 120_000);
});
