import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  BizTagExistsError,
  IdGenerator,
  IdOverflowError,
  InvalidArgumentError,
  LeafForbiddenError,
  LeafModule,
  LeafStoreError,
  LeafUnavailableError,
  MAX_ID,
  UnknownBizTagError,
} from 'nest-leaf';
import {
  ClientTokens,
  errorResponse,
  InvalidLeafServerOptionsError,
  LeafServerModule,
  resolveLeafServerOptions,
  type LeafServerOptions,
} from 'nest-leaf/server';
import { InMemoryLeafStore } from 'nest-leaf/testing';
import { freshDatabase, type TestDatabase } from '../../harness/mariadb.js';
import { expectStrictlyIncreasing, sleep } from '../../harness/assertions.js';
import { availablePlatforms, call, startLeafServer, type LeafServerApp } from '../support/leaf-server.js';

/**
 * LeafServerModule on a real database, on every HTTP platform installed: Leaf's own route (text/plain, no-store,
 * HEAD free, batches), the reservation route, authentication and permissions, the error bodies, the negative cache
 * of unknown tags and the per-client cap. The client side (HttpLeafStore) is in http-store.e2e-spec.ts.
 */
const PLATFORMS = await availablePlatforms();

const TOKENS = {
  billing: 'billing-token-0123456789abcdef',
  ops: 'ops-token-0123456789abcdef-admin',
  prober: 'prober-token-0123456789abcdef',
};
const CACHE_MS = 1000;
const CAP = 8;
const SERVER: LeafServerOptions = {
  clients: [
    { name: 'billing', token: TOKENS.billing, tags: ['order'] },
    { name: 'ops', token: TOKENS.ops, tags: '*', admin: true },
    { name: 'prober', token: TOKENS.prober, tags: '*' },
  ],
  anonymousGet: ['public'],
  unknownTagCacheMs: CACHE_MS,
  maxUnknownTagsPerMinute: CAP,
};
const MAX_BATCH = 50;

describe.each(PLATFORMS)('LeafServerModule on %s', (platform) => {
  let db: TestDatabase;
  let server: LeafServerApp;
  const url = (path: string) => `${server.url}/api/segment${path}`;
  const ids = () => server.app.get(IdGenerator);
  const issued = (tag: string) =>
    ids()
      .inspect()
      .find((s) => s.tag === tag)?.idsIssued ?? 0;

  beforeAll(async () => {
    db = await freshDatabase(`leaf_server_${platform}`);
    server = await startLeafServer({
      database: db.name,
      platform,
      leaf: { bizTags: ['order', 'invoice', 'public'], step: 100, maxBatchSize: MAX_BATCH, maxStep: 10_000 },
      server: SERVER,
    });
  });

  afterAll(async () => {
    await server?.close();
    await db?.close();
  });

  describe("Leaf's GET /api/segment/get/:key", () => {
    it('answers the next ID as text/plain, not to be cached, increasing', async () => {
      const got: bigint[] = [];
      for (let i = 0; i < 3; i++) {
        const answer = await call(url('/get/order'), { token: TOKENS.billing });
        expect(answer.status).toBe(200);
        expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
        expect(answer.headers.get('cache-control')).toBe('no-store');
        expect(answer.text).toMatch(/^[1-9]\d*$/);
        got.push(BigInt(answer.text));
      }
      expectStrictlyIncreasing(got);
    });

    it('HEAD answers the headers and spends no ID', async () => {
      const before = issued('order');
      const first = BigInt((await call(url('/get/order'), { token: TOKENS.billing })).text);
      for (let i = 0; i < 5; i++) {
        const head = await call(url('/get/order'), { method: 'HEAD', token: TOKENS.billing });
        expect(head.status).toBe(200);
        expect(head.text).toBe('');
        expect(head.headers.get('cache-control')).toBe('no-store');
      }
      const second = BigInt((await call(url('/get/order'), { token: TOKENS.billing })).text);
      expect(issued('order') - before).toBe(2);
      expect(second).toBe(first + 1n);
      expect((await call(url('/get/order'), { method: 'HEAD' })).status).toBe(401);
    });

    it('?count=N answers N increasing IDs, one per line, from 1 to maxBatchSize', async () => {
      const five = await call(url('/get/order?count=5'), { token: TOKENS.billing });
      expect(five.status).toBe(200);
      expect(five.headers.get('content-type')).toMatch(/^text\/plain/);
      const lines = five.text.split('\n');
      expect(lines).toHaveLength(5);
      expectStrictlyIncreasing(lines.map(BigInt));
      const most = await call(url(`/get/order?count=${MAX_BATCH}`), { token: TOKENS.billing });
      expect(most.text.split('\n')).toHaveLength(MAX_BATCH);
    });

    it.each(['0', String(MAX_BATCH + 1), 'abc', '1.5', '', '-1', '1e1', '01'])(
      '?count=%p is refused with 400 and a one-line text reason',
      async (count) => {
        const answer = await call(url(`/get/order?count=${count}`), { token: TOKENS.billing });
        expect(answer.status).toBe(400);
        expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
        expect(answer.text).toMatch(/^LEAF_INVALID_ARGUMENT: count must be an integer from 1 to 50 \(maxBatchSize\)/);
        expect(answer.text).not.toContain('\n');
      },
    );

    it('a repeated count is refused too', async () => {
      const answer = await call(url('/get/order?count=1&count=2'), { token: TOKENS.billing });
      expect(answer.status).toBe(400);
    });

    it('errors are one text line: an unknown tag 404, a malformed one 400', async () => {
      const unknown = await call(url(`/get/nope_${platform}`), { token: TOKENS.ops });
      expect(unknown.status).toBe(404);
      expect(unknown.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(unknown.text).toMatch(/^LEAF_UNKNOWN_BIZ_TAG: /);
      expect(unknown.text).not.toContain('\n');
      // The longest tag there is, in 4-byte characters (an emoji), percent-encoded: 1536 characters in the path.
      const longest = await call(url(`/get/${encodeURIComponent('😀'.repeat(128))}`), { token: TOKENS.ops });
      expect(longest.status).toBe(404);
      const long = await call(url(`/get/${'x'.repeat(129)}`), { token: TOKENS.ops });
      expect(long.status).toBe(400);
      expect(long.text).toMatch(/^LEAF_INVALID_ARGUMENT: Invalid biz tag: a biz tag has at most 128 characters/);
    });
  });

  describe('authentication', () => {
    it('a missing, malformed or wrong token is 401 with WWW-Authenticate: Bearer', async () => {
      const variants: Record<string, string>[] = [
        {},
        { authorization: `Basic ${TOKENS.billing}` },
        { authorization: 'Bearer wrong' },
      ];
      for (const headers of variants) {
        const answer = await call(url('/get/order'), { headers });
        expect(answer.status).toBe(401);
        expect(answer.text).toMatch(/^LEAF_UNAUTHORIZED: /);
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
      const prefix = await call(url('/get/order'), { token: TOKENS.billing.slice(0, -1) });
      expect(prefix.status).toBe(401);
      const longer = await call(url('/get/order'), { token: `${TOKENS.billing}x` });
      expect(longer.status).toBe(401);
    });

    it("a tag outside the client's tags is 403", async () => {
      const answer = await call(url('/get/invoice'), { token: TOKENS.billing });
      expect(answer.status).toBe(403);
      expect(answer.text).toContain('Client "billing" may not use the tag "invoice"');
      const reserve = await call(url('/reserve/invoice'), { method: 'POST', token: TOKENS.billing, body: { step: 1 } });
      expect(reserve.status).toBe(403);
      expect(reserve.json()).toMatchObject({ code: 'LEAF_FORBIDDEN' });
    });

    it("anonymousGet opens Leaf's GET route to its tags only, and no other route", async () => {
      const open = await call(url('/get/public'));
      expect(open.status).toBe(200);
      expect(open.text).toMatch(/^\d+$/);
      expect((await call(url('/get/order'))).status).toBe(401);
      // A token, when sent, must be right: a wrong one is not read as anonymous.
      expect((await call(url('/get/public'), { token: 'not-a-client-token-0000' })).status).toBe(401);
      const reserve = await call(url('/reserve/public'), { method: 'POST', body: { step: 1 } });
      expect(reserve.status).toBe(401);
      expect(reserve.headers.get('content-type')).toMatch(/^application\/json/);
      expect(reserve.json()).toMatchObject({ code: 'LEAF_UNAUTHORIZED' });
      expect((await call(url('/tags'))).status).toBe(401);
      expect((await call(url('/tags/public'))).status).toBe(401);
    });

    it('inserting rows, setting steps and creating tags need an admin', async () => {
      const tag = `admin_only_${platform}`;
      const requests = [
        { path: `/tags/${tag}`, method: 'POST', body: { maxId: '1', step: 10 } },
        { path: `/tags/order/step`, method: 'PUT', body: { step: 10 } },
        { path: '/tags', method: 'POST', body: { rows: [{ tag: 'order', step: 10 }] } },
      ];
      for (const { path, method, body } of requests) {
        for (const token of [TOKENS.billing, TOKENS.prober]) {
          const answer = await call(url(path), { method, body, token });
          expect(answer.status).toBe(403);
          expect(answer.json()).toMatchObject({ code: 'LEAF_FORBIDDEN' });
        }
      }
      const insert = () =>
        call(url(`/tags/${tag}`), { method: 'POST', token: TOKENS.ops, body: { maxId: '7', step: 3 } });
      expect((await insert()).json()).toEqual({ inserted: true });
      expect((await insert()).json()).toEqual({ inserted: false });
      const step = await call(url(`/tags/${tag}/step`), { method: 'PUT', token: TOKENS.ops, body: { step: 5 } });
      expect(step.json()).toEqual({ updated: true });
      const created = await call(url('/tags'), {
        method: 'POST',
        token: TOKENS.ops,
        body: { rows: [{ tag: `${tag}_2`, step: 4, description: 'made over HTTP' }] },
      });
      expect(created.json()).toEqual({ created: true });
      expect((await call(url(`/tags/${tag}_2`), { token: TOKENS.ops })).json()).toEqual({
        bizTag: `${tag}_2`,
        step: 4,
      });
    });

    it('a client lists only the rows of its own tags', async () => {
      const mine = (await call(url('/tags'), { token: TOKENS.billing })).json<{ rows: { bizTag: string }[] }>();
      expect(mine.rows.map((row) => row.bizTag)).toEqual(['order']);
      const all = (await call(url('/tags'), { token: TOKENS.ops })).json<{ rows: { bizTag: string }[] }>();
      expect(all.rows.map((row) => row.bizTag)).toEqual(expect.arrayContaining(['order', 'invoice', 'public']));
    });
  });

  describe('POST /api/segment/reserve/:key', () => {
    it('reserves a contiguous range [start, end) from the store, as decimal strings', async () => {
      const tag = `reserved_${platform}`;
      await call(url(`/tags/${tag}`), { method: 'POST', token: TOKENS.ops, body: { maxId: '1000', step: 10 } });
      const reserve = (step: number) =>
        call(url(`/reserve/${tag}`), { method: 'POST', token: TOKENS.ops, body: { step } });
      const first = await reserve(10);
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toBe('no-store');
      expect(first.json()).toEqual({ start: '1000', end: '1010' });
      expect((await reserve(5)).json()).toEqual({ start: '1010', end: '1015' });
      expect(await db.maxId(tag)).toBe(1015n);
    });

    it.each([[0], [10_001], ['10'], [1.5], [null]])('step %p is refused with 400 JSON', async (step) => {
      const answer = await call(url('/reserve/order'), { method: 'POST', token: TOKENS.billing, body: { step } });
      expect(answer.status).toBe(400);
      expect(answer.json()).toMatchObject({ code: 'LEAF_INVALID_ARGUMENT', argument: 'step' });
    });

    it('an unknown tag is 404 and an exhausted one 409, with the fields of the typed errors', async () => {
      const unknown = await call(url(`/reserve/missing_${platform}`), {
        method: 'POST',
        token: TOKENS.ops,
        body: { step: 1 },
      });
      expect(unknown.status).toBe(404);
      expect(unknown.json()).toMatchObject({ code: 'LEAF_UNKNOWN_BIZ_TAG', bizTag: `missing_${platform}` });
      const tag = `near_max_${platform}`;
      const maxId = String(MAX_ID - 5n);
      await call(url(`/tags/${tag}`), { method: 'POST', token: TOKENS.ops, body: { maxId, step: 10 } });
      const overflow = await call(url(`/reserve/${tag}`), { method: 'POST', token: TOKENS.ops, body: { step: 10 } });
      expect(overflow.status).toBe(409);
      expect(overflow.json()).toMatchObject({ code: 'LEAF_ID_OVERFLOW', bizTag: tag, maxId, step: 10 });
    });

    it('a broken table is 500 LEAF_STORE; a store that fails transiently is 503 with Retry-After', async () => {
      server.store.failNext('reserve', new LeafStoreError('leaf_alloc is broken: fix it'));
      const broken = await call(url('/reserve/order'), { method: 'POST', token: TOKENS.billing, body: { step: 1 } });
      expect(broken.status).toBe(500);
      // The server keeps a 500's message (its callers' operators must fix the table), in the library's one body.
      expect(broken.json()).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        code: 'LEAF_STORE',
        message: 'leaf_alloc is broken: fix it',
      });
      server.store.failNext('reserve', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      const down = await call(url('/reserve/order'), { method: 'POST', token: TOKENS.billing, body: { step: 1 } });
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('1');
      expect(down.json()).toMatchObject({
        code: 'LEAF_UNAVAILABLE',
        message: expect.stringContaining('connection refused'),
      });
    });
  });

  describe('unknown tags', () => {
    it('a made-up tag costs one lookup per cache period, however many requests ask for it', async () => {
      const tag = `ghost_${platform}`;
      const ask = () => call(url(`/get/${tag}`), { token: TOKENS.ops });
      const burst = await Promise.all(Array.from({ length: 20 }, ask));
      for (let i = 0; i < 10; i++) burst.push(await ask());
      expect(burst.map((answer) => answer.status)).toEqual(Array(30).fill(404));
      expect(server.store.findTagCalls.get(tag)).toBe(1);

      const other = `ghost_row_${platform}`;
      const lookups = await Promise.all(
        Array.from({ length: 10 }, () => call(url(`/tags/${other}`), { token: TOKENS.ops })),
      );
      expect(lookups.map((answer) => answer.status)).toEqual(Array(10).fill(404));
      expect(server.store.findTagCalls.get(other)).toBe(1);

      await sleep(CACHE_MS + 100);
      expect((await ask()).status).toBe(404);
      expect(server.store.findTagCalls.get(tag)).toBe(2);
    });

    it('a row created through the server is found at once, not answered from the cache', async () => {
      const tag = `late_${platform}`;
      expect((await call(url(`/tags/${tag}`), { token: TOKENS.ops })).status).toBe(404);
      await call(url(`/tags/${tag}`), { method: 'POST', token: TOKENS.ops, body: { maxId: '1', step: 10 } });
      expect((await call(url(`/tags/${tag}`), { token: TOKENS.ops })).json()).toEqual({ bizTag: tag, step: 10 });
    });

    it('past maxUnknownTagsPerMinute a client gets 429 for tags the server does not know, and keeps its real ones', async () => {
      const tag = (i: number) => `probe_${platform}_${i}`;
      for (let i = 0; i < CAP; i++) {
        expect((await call(url(`/get/${tag(i)}`), { token: TOKENS.prober })).status).toBe(404);
      }
      const refused = await call(url(`/get/${tag(CAP)}`), { token: TOKENS.prober });
      expect(refused.status).toBe(429);
      expect(refused.text).toMatch(/^LEAF_TOO_MANY_UNKNOWN_TAGS: client "prober" asked for 8 tags/);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const json = await call(url(`/tags/${tag(CAP + 1)}`), { token: TOKENS.prober });
      expect(json.status).toBe(429);
      expect(json.json()).toMatchObject({ code: 'LEAF_TOO_MANY_UNKNOWN_TAGS' });
      expect(server.store.findTagCalls.get(tag(CAP))).toBeUndefined();
      expect(server.store.findTagCalls.get(tag(CAP + 1))).toBeUndefined();
      // Still answered: a tag it already asked for (from the cache), and the tags that exist.
      expect((await call(url(`/get/${tag(0)}`), { token: TOKENS.prober })).status).toBe(404);
      expect((await call(url('/get/order'), { token: TOKENS.prober })).status).toBe(200);
      // Other clients are not affected.
      expect((await call(url(`/get/other_${platform}`), { token: TOKENS.ops })).status).toBe(404);
    });
  });
});

describe('LeafServerModule options', () => {
  const client = (token: unknown, name = 'billing') => ({ name, token: token as string, tags: ['order'] });
  const refused = (options: unknown) => {
    try {
      resolveLeafServerOptions(options as LeafServerOptions);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidLeafServerOptionsError);
      return (error as Error).message;
    }
    throw new Error('the options were accepted');
  };

  it('are checked by forRoot with typed errors that never show a token', () => {
    expect(() => LeafServerModule.forRoot({ clients: [] })).toThrow(InvalidLeafServerOptionsError);
    expect(refused({ clients: [] })).toContain('"clients": expected a non-empty array');
    expect(refused({ clients: [], anonymousGet: false })).toContain('accepted only with anonymousGet');
    // A server of Leaf's GET route alone, as the demo runs without a client token.
    expect(resolveLeafServerOptions({ clients: [], anonymousGet: true }).clients).toEqual([]);
    expect(refused({ clients: [client('short-token')] })).toMatch(/is 11 characters long; a token needs at least 16/);
    expect(refused({ clients: [client('short-token')] })).not.toContain('short-token');
    expect(refused({ clients: [client(undefined)] })).toContain('is the variable set?');
    const same = 'the-same-token-0123456789';
    const duplicate = refused({ clients: [client(same, 'a'), client(same, 'b')] });
    expect(duplicate).toContain('clients "a" and "b" have the same token');
    expect(duplicate).not.toContain(same);
    expect(refused({ clients: [client('with space 0123456789')] })).toContain('visible ASCII');
    expect(refused({ clients: [{ ...client(TOKENS.ops), tags: [] }] })).toContain("expected '*' (every tag)");
    expect(refused({ clients: [client(TOKENS.ops)], clinets: [] })).toContain('did you mean "clients"?');
    expect(refused({ clients: [client(TOKENS.ops)], anonymousGet: 'yes' })).toContain('anonymousGet');
    expect(refused({ clients: [client(TOKENS.ops)], unknownTagCacheMs: -1 })).toContain('unknownTagCacheMs');
  });

  it('given by forRootAsync are checked when the app starts', async () => {
    @Module({
      imports: [
        LeafModule.forRoot({ bizTags: ['order'], store: new InMemoryLeafStore() }),
        LeafServerModule.forRootAsync({ useFactory: () => ({ clients: [client('0123')] }) }),
      ],
    })
    class BadTokenModule {}
    await expect(NestFactory.create(BadTokenModule, { logger: false, abortOnError: false })).rejects.toThrow(
      InvalidLeafServerOptionsError,
    );
  });

  it('without LeafModule the app fails to start, saying what to import', async () => {
    @Module({ imports: [LeafServerModule.forRoot({ clients: [client(TOKENS.ops)] })] })
    class NoLeafModule {}
    const app = await NestFactory.create(NoLeafModule, { logger: false, abortOnError: false });
    await expect(app.init()).rejects.toThrow(/import LeafModule.forRoot/);
    await app.close().catch(() => undefined);
  });

  it('every library error has its status and keeps its fields in the body', () => {
    const cases: Array<[unknown, number, Record<string, unknown>, Record<string, string>]> = [
      [
        new UnknownBizTagError('a', undefined, 'A'),
        404,
        { code: 'LEAF_UNKNOWN_BIZ_TAG', bizTag: 'a', similar: 'A' },
        {},
      ],
      [new IdOverflowError('a', MAX_ID, 3), 409, { code: 'LEAF_ID_OVERFLOW', maxId: String(MAX_ID), step: 3 }, {}],
      [new InvalidArgumentError('count', 'bad'), 400, { code: 'LEAF_INVALID_ARGUMENT', argument: 'count' }, {}],
      [new LeafStoreError('fix it'), 500, { code: 'LEAF_STORE', message: 'fix it' }, {}],
      [
        LeafUnavailableError.shuttingDown('a'),
        503,
        { code: 'LEAF_UNAVAILABLE', reason: 'shutting-down' },
        { 'Retry-After': '1' },
      ],
      [new Error('socket hang up'), 503, { code: 'LEAF_UNAVAILABLE' }, { 'Retry-After': '1' }],
      [
        new LeafForbiddenError('a', 'not yours'),
        403,
        { code: 'LEAF_FORBIDDEN', bizTag: 'a', message: 'not yours' },
        {},
      ],
      [new BizTagExistsError('a', 'A'), 409, { code: 'LEAF_BIZ_TAG_EXISTS', bizTag: 'a', existing: 'A' }, {}],
    ];
    for (const [error, status, body, headers] of cases) {
      const answer = errorResponse(error);
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject(body);
      expect(answer.headers).toEqual(headers);
    }
  });

  it('tokens are matched whole, each client compared (the constant-time compare is pinned in client-tokens.spec.ts)', () => {
    const { clients } = resolveLeafServerOptions(SERVER);
    const tokens = new ClientTokens(clients);
    expect(tokens.find(TOKENS.billing)?.name).toBe('billing');
    expect(tokens.find(TOKENS.ops)?.name).toBe('ops');
    for (const wrong of ['', TOKENS.billing.slice(0, -1), `${TOKENS.billing}x`, TOKENS.billing.toUpperCase()]) {
      expect(tokens.find(wrong)).toBeUndefined();
    }
  });
});
