import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { freshDatabase, mysqlDemoEnv, type TestDatabase } from '../../harness/mariadb.js';
import { adminApiHint } from '../../apps/demo/src/admin/admin-startup.js';
import { bearer, newAdminToken } from '../support/demo/admin-token.js';
import { expectStartupRowsOnly, startDemo, type RunningDemo } from '../support/demo/demo-app.js';

/** 2^53 + 1: a startAt that a trip through a JavaScript number would change. */
const BEYOND_DOUBLE = '9007199254740993';

interface TagRow {
  biz_tag: string;
  max_id: string;
  step: number;
  description: string | null;
}

async function rowOf(db: TestDatabase, tag: string): Promise<TagRow | undefined> {
  const rows = await db.query<TagRow[]>(
    'SELECT biz_tag, CAST(max_id AS CHAR) AS max_id, step, description FROM leaf_alloc WHERE biz_tag = ?',
    [tag],
  );
  return rows[0];
}

/** Polls `read` until `done`; on timeout returns the last value, so the assertion that follows shows it. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('admin API on MariaDB', () => {
  const token = newAdminToken();
  let db: TestDatabase;
  let demo: RunningDemo;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    db = await freshDatabase('demo_admin');
    demo = await startDemo({ ...mysqlDemoEnv(db.name), LEAF_STEP: '10', ADMIN_TOKEN: token, ADMIN_RATE_LIMIT: '1000' });
    http = request(demo.url);
  });

  afterAll(async () => {
    await demo?.close();
    await db?.close();
  });

  it('POST /admin/tags creates a tag that /ids/:tag serves from its startAt, exactly', async () => {
    const created = await http
      .post('/admin/tags')
      .set(bearer(token))
      .send({ tag: 'shipment', step: 25, description: 'IDs of shipments', startAt: BEYOND_DOUBLE })
      .expect(201);
    expect(created.body).toEqual({
      tag: 'shipment',
      maxId: BEYOND_DOUBLE,
      step: 25,
      description: 'IDs of shipments',
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(await rowOf(db, 'shipment')).toEqual({
      biz_tag: 'shipment',
      max_id: BEYOND_DOUBLE,
      step: 25,
      description: 'IDs of shipments',
    });

    const first = await http.get('/ids/shipment').expect(200);
    expect(first.body).toEqual({ tag: 'shipment', id: BEYOND_DOUBLE });
    const next = await http.get('/ids/shipment?count=2').expect(200);
    expect(next.body.ids).toEqual([BigInt(BEYOND_DOUBLE) + 1n, BigInt(BEYOND_DOUBLE) + 2n].map(String));
    // The first reservation of the new tag is its own step.
    expect((await rowOf(db, 'shipment'))?.max_id).toBe(String(BigInt(BEYOND_DOUBLE) + 25n));
  });

  it('creates a tag with only a name: step LEAF_STEP, first ID 1', async () => {
    const created = await http.post('/admin/tags').set(bearer(token)).send({ tag: 'coupon' }).expect(201);
    expect(created.body).toEqual(expect.objectContaining({ tag: 'coupon', maxId: '1', step: 10, description: null }));
    expect((await http.get('/ids/coupon').expect(200)).body.id).toBe('1');
  });

  it('answers 409 to a tag that already has a row, and changes nothing', async () => {
    const before = await rowOf(db, 'shipment');
    const res = await http
      .post('/admin/tags')
      .set(bearer(token))
      .send({ tag: 'shipment', step: 99, startAt: '1', description: 'overwritten?' })
      .expect(409);
    expect(res.body).toEqual({
      statusCode: 409,
      error: 'Conflict',
      code: 'LEAF_BIZ_TAG_EXISTS',
      message: expect.stringContaining('Biz tag "shipment" already has a row in leaf_alloc; nothing was changed.'),
      bizTag: 'shipment',
      existing: 'shipment',
    });
    // It names the route that changes the step, not the library method behind it.
    expect(res.body.message).toContain('To change its step, PATCH /admin/tags/shipment with {"step": <n>}.');
    expect(res.body.message).not.toContain('setStep');
    expect(await rowOf(db, 'shipment')).toEqual(before);
    // A configured tag's row exists from startup on.
    await http.post('/admin/tags').set(bearer(token)).send({ tag: 'order' }).expect(409);
  });

  it('GET /admin/tags lists every row', async () => {
    const res = await http.get('/admin/tags').set(bearer(token)).expect(200);
    // The period tag `invoice` has a row per day rather than one of its own.
    expect(res.body.map((row: { tag: string }) => row.tag)).toEqual([
      'coupon',
      expect.stringMatching(/^invoice:\d{8}$/),
      'invoice_id',
      'order',
      'shipment',
      'user',
    ]);
    expect(res.body.find((row: { tag: string }) => row.tag === 'order')).toEqual(
      expect.objectContaining({ maxId: '11', step: 10, description: 'IDs of orders (nest-leaf demo)' }),
    );
  });

  it('PATCH /admin/tags/:tag changes the step of a live tag, and its next reservation is sized from it', async () => {
    type TagState = { tag: string; baseStep: number; current: { start: string; end: string } | null };
    const state = async () => {
      const { tags } = (await http.get('/monitor/state').expect(200)).body as { tags: TagState[] };
      return tags.find((t) => t.tag === 'order')!;
    };
    // Booted with LEAF_STEP=10 and not asked for an ID since: one segment [1, 11), max_id 11.
    expect(await state()).toEqual(expect.objectContaining({ baseStep: 10, current: { start: '1', end: '11' } }));

    const changed = await http.patch('/admin/tags/order').set(bearer(token)).send({ step: 500 }).expect(200);
    expect(changed.body).toEqual(expect.objectContaining({ tag: 'order', step: 500, maxId: '11' }));
    expect((await rowOf(db, 'order'))?.step).toBe(500);
    // LeafAdmin applies it on this node at once, without waiting for tagRefreshIntervalMs.
    expect((await state()).baseStep).toBe(500);

    const taken = await http.get('/ids/order?count=11').expect(200);
    expect(taken.body.ids.at(-1)).toBe('11');
    const maxId = await until(
      async () => (await rowOf(db, 'order'))!.max_id,
      (value) => value !== '11',
    );
    // The dynamic step (on in the demo) doubles a step whose segment lasted less than segmentDurationMs (15 min),
    // as this one did: the next reservation is 2 x 500, where the old step would have made it 2 x 10.
    expect(maxId).toBe(String(11 + 2 * 500));
    expect(await until(state, (s) => s.current?.end === maxId)).toEqual(
      expect.objectContaining({ baseStep: 500, current: { start: '11', end: '1011' } }),
    );
  });

  it('answers 404 to a step change of a tag without a row, and 400 to a step out of range', async () => {
    const res = await http.patch('/admin/tags/no-such-tag').set(bearer(token)).send({ step: 5 }).expect(404);
    expect(res.body.code).toBe('LEAF_UNKNOWN_BIZ_TAG');
    // The way to create it over HTTP, rather than the library's SQL INSERT.
    expect(res.body.message).toBe(
      'Unknown biz tag "no-such-tag": it has no row in leaf_alloc. Create it with POST /admin/tags and the body ' +
        '{"tag":"no-such-tag"}; PATCH changes the step of an existing tag only.',
    );
    expect(res.body.message).not.toMatch(/INSERT|bizTags/);
    // The same words on the ID routes would be wrong: there, the library's own message stands.
    expect((await http.get('/ids/no-such-tag').expect(404)).body.message).toContain('INSERT INTO leaf_alloc');
    expect(await rowOf(db, 'no-such-tag')).toBeUndefined();
    const range = await http.patch('/admin/tags/shipment').set(bearer(token)).send({ step: 0 }).expect(400);
    expect(range.body).toEqual(
      expect.objectContaining({ code: 'LEAF_INVALID_ARGUMENT', message: expect.stringContaining('maxStep') }),
    );
    expect((await rowOf(db, 'shipment'))?.step).toBe(25);
  });

  it("answers 400 to creating the period tag, pointing at the route for one period's row", async () => {
    const res = await http.post('/admin/tags').set(bearer(token)).send({ tag: 'invoice' }).expect(400);
    expect(res.body.code).toBe('LEAF_INVALID_ARGUMENT');
    expect(res.body.message).toContain("or PATCH /admin/tags/invoice:<period> for one period's row.");
    expect(res.body.message).not.toContain('setStep');
  });

  it('stores a tag made of SQL metacharacters verbatim: every statement is parameterized', async () => {
    const tag = `x'); DROP TABLE leaf_alloc; -- \\ " \` % _ /* ; */`;
    const created = await http.post('/admin/tags').set(bearer(token)).send({ tag, startAt: '500' }).expect(201);
    expect(created.body.tag).toBe(tag);

    const tables = await db.query<Array<Record<string, string>>>('SHOW TABLES');
    expect(tables.map((row) => Object.values(row)[0])).toContain('leaf_alloc');
    expect(await rowOf(db, tag)).toEqual({ biz_tag: tag, max_id: '500', step: 10, description: null });

    const served = await http.get(`/ids/${encodeURIComponent(tag)}`).expect(200);
    expect(served.body).toEqual({ tag, id: '500' });
    await http
      .patch(`/admin/tags/${encodeURIComponent(tag)}`)
      .set(bearer(token))
      .send({ step: 7 })
      .expect(200);
    expect((await rowOf(db, tag))?.step).toBe(7);
    // The 4 rows of the configured tags (invoice:<today>, invoice_id, order, user), coupon, shipment and this one.
    const [{ n }] = await db.query<Array<{ n: number }>>(
      "SELECT COUNT(*) AS n FROM leaf_alloc WHERE biz_tag <> '__nest_leaf_fence__'",
    );
    expect(Number(n)).toBe(7);
  });

  describe('refuses requests without the right bearer token, with 401 and WWW-Authenticate: Bearer', () => {
    const wrongOfSameLength = () => [...token].map((c) => (c === 'a' ? 'b' : 'a')).join('');
    const cases: Array<[string, () => Record<string, string>]> = [
      ['no Authorization header', () => ({})],
      ['a wrong token of the same length', () => bearer(wrongOfSameLength())],
      ['a token of a different length (the right one and more)', () => bearer(`${token}0`)],
      ['a short token (a prefix of the right one)', () => bearer(token.slice(0, 16))],
      ['the Basic scheme with the token as password', () => ({ Authorization: `Basic ${btoa(`admin:${token}`)}` })],
      ['the token without a scheme', () => ({ Authorization: token })],
      ['"Bearer" without a token', () => ({ Authorization: 'Bearer ' })],
    ];

    it.each(cases)('%s', async (_name, headers) => {
      const res = await http.post('/admin/tags').set(headers()).send({ tag: 'intruder' }).expect(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="admin"/);
      expect(res.body).toEqual(expect.objectContaining({ statusCode: 401, code: 'ADMIN_UNAUTHORIZED' }));
      expect(res.body.message).toMatch(/Authorization: Bearer <ADMIN_TOKEN>|not the server's ADMIN_TOKEN/);
      expect(await rowOf(db, 'intruder')).toBeUndefined();
      await http.patch('/admin/tags/order').set(headers()).send({ step: 1 }).expect(401);
      await http.get('/admin/tags').set(headers()).expect(401);
    });

    it('says which: a missing credential, or a wrong token', async () => {
      const missing = await http.get('/admin/tags').expect(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer realm="admin"');
      const wrong = await http.get('/admin/tags').set(bearer(wrongOfSameLength())).expect(401);
      expect(wrong.headers['www-authenticate']).toBe('Bearer realm="admin", error="invalid_token"');
      expect(wrong.body.message).toBe("The bearer token is not the server's ADMIN_TOKEN.");
    });

    it('accepts the scheme in any case, as HTTP says', async () => {
      await http
        .get('/admin/tags')
        .set({ Authorization: `bearer ${token}` })
        .expect(200);
    });
  });

  it('documents the endpoints in Swagger under a bearer scheme that no other endpoint needs', async () => {
    const doc = (await http.get('/docs-json').expect(200)).body;
    expect(doc.components.securitySchemes['admin-token']).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );
    expect(doc.paths['/admin/tags'].post.security).toEqual([{ 'admin-token': [] }]);
    expect(doc.paths['/admin/tags/{tag}'].patch.security).toEqual([{ 'admin-token': [] }]);
    const statuses = Object.keys(doc.paths['/admin/tags'].post.responses);
    expect(statuses).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409', '415', '429']));
    expect(Object.keys(doc.paths['/admin/tags/{tag}'].patch.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '404', '415', '429']),
    );
    for (const status of ['401', '409', '429']) {
      expect(doc.paths['/admin/tags'].post.responses[status].content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/ErrorResponse',
      });
    }
    expect(doc.paths['/admin/tags'].post.responses['429'].description).toMatch(/failed authentications/);
    expect(doc.paths['/ids/{tag}'].get.security).toBeUndefined();
  });
});

describe('admin API rate limit', () => {
  const token = newAdminToken();
  let db: TestDatabase;
  let demo: RunningDemo;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    db = await freshDatabase('demo_admin_rate');
    demo = await startDemo({ ...mysqlDemoEnv(db.name), ADMIN_TOKEN: token, ADMIN_RATE_LIMIT: '3' });
    http = request(demo.url);
  });

  afterAll(async () => {
    await demo?.close();
    await db?.close();
  });

  it('does not count successful calls: the right token may call the admin API far more than ADMIN_RATE_LIMIT times', async () => {
    for (let i = 0; i < 12; i++) {
      const res = await http.get('/admin/tags').set(bearer(token)).expect(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
    await http.patch('/admin/tags/order').set(bearer(token)).send({ step: 1000 }).expect(200);
  });

  it('answers 429 past ADMIN_RATE_LIMIT failed authentications a minute per client, across every admin route, to the right token too', async () => {
    const guess = bearer('0'.repeat(token.length));
    const first = await http.get('/admin/tags').set(guess).expect(401);
    expect(first.headers['x-ratelimit-remaining']).toBe('2');
    await http.post('/admin/tags').set(guess).send({ tag: 'guess' }).expect(401);
    // A successful call in between neither counts nor resets the count.
    await http.get('/admin/tags').set(bearer(token)).expect(200);
    await http.patch('/admin/tags/order').send({ step: 5 }).expect(401);

    for (const attempt of [
      () => http.get('/admin/tags').set(guess),
      // Blocked before the token is even looked at: brute force gets nowhere, and nor does the right token.
      () => http.post('/admin/tags').set(bearer(token)).send({ tag: 'late' }),
    ]) {
      const res = await attempt().expect(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        code: 'TOO_MANY_REQUESTS',
        message: expect.stringContaining(
          'Too many failed admin authentications from this address: at most 3 a minute (ADMIN_RATE_LIMIT).',
        ),
      });
    }
    const [{ n }] = await db.query<Array<{ n: number }>>(
      "SELECT COUNT(*) AS n FROM leaf_alloc WHERE biz_tag IN ('guess', 'late')",
    );
    expect(Number(n)).toBe(0);
  });

  it('does not throttle the ID endpoints: /ids/order keeps answering 200 far beyond that rate', async () => {
    const responses = await Promise.all(Array.from({ length: 200 }, () => http.get('/ids/order')));
    expect(responses.map((res) => res.status)).toEqual(Array(200).fill(200));
    expect(responses[0].headers['x-ratelimit-limit']).toBeUndefined();
    expect(new Set(responses.map((res) => res.body.id)).size).toBe(200);
    await http.get('/api/segment/get/order').expect(200);
    await http.get('/admin/tags').set(bearer(token)).expect(429);
  });
});

describe('admin API at startup', () => {
  it('logs how to call it with the same token, never the token itself', () => {
    const token = newAdminToken();
    const hint = adminApiHint(token, 'http://localhost:3000');
    expect(hint).toContain('curl -H "Authorization: Bearer $ADMIN_TOKEN" http://localhost:3000/admin/tags');
    expect(hint).toContain('export $(grep ^ADMIN_TOKEN= .env)');
    expect(hint).not.toContain(token);
  });

  it('says how to turn it on while ADMIN_TOKEN is unset', () => {
    expect(adminApiHint(null, 'http://localhost:3000')).toBe(
      'Admin API off: ADMIN_TOKEN is not set. To turn it on, put a token in .env (read at startup) and restart: ' +
        'echo "ADMIN_TOKEN=$(openssl rand -hex 32)" >> .env',
    );
  });
});

describe('admin API without ADMIN_TOKEN', () => {
  let db: TestDatabase;
  let demo: RunningDemo;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    db = await freshDatabase('demo_admin_off');
    demo = await startDemo(mysqlDemoEnv(db.name));
    http = request(demo.url);
  });

  afterAll(async () => {
    await demo?.close();
    await db?.close();
  });

  it('answers 403 to every admin request, whatever the token, saying to set ADMIN_TOKEN', async () => {
    for (const headers of [{}, bearer(''.padEnd(16, 'x')), bearer(newAdminToken())]) {
      for (const send of [
        () => http.get('/admin/tags').set(headers),
        () => http.post('/admin/tags').set(headers).send({ tag: 'sneaky' }),
        () => http.patch('/admin/tags/order').set(headers).send({ step: 1 }),
      ]) {
        const res = await send().expect(403);
        expect(res.body).toEqual({
          statusCode: 403,
          error: 'Forbidden',
          code: 'ADMIN_API_DISABLED',
          message: expect.stringContaining('The admin API is off because ADMIN_TOKEN is not set. Set it'),
        });
      }
    }
    await expectStartupRowsOnly(db);
    await http.get('/ids/order').expect(200);
  });
});
