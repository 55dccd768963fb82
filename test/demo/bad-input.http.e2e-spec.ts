import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { freshDatabase, mysqlDemoEnv, type TestDatabase } from '../../harness/mariadb.js';
import { HTTP_PLATFORMS } from '../../apps/demo/src/config/demo.config.js';
import { bearer, newAdminToken } from '../support/demo/admin-token.js';
import { expectStartupRowsOnly, startDemo, type RunningDemo } from '../support/demo/demo-app.js';

/**
 * A request to send: a JSON body (`json`), or bytes sent as they are (`raw`) as application/json or as `type`;
 * `empty`: no body at all.
 */
interface Sent {
  readonly method: 'GET' | 'POST' | 'PATCH';
  readonly path: string;
  readonly json?: unknown;
  readonly raw?: string;
  readonly type?: string;
  readonly empty?: boolean;
  /** With the admin bearer token. */
  readonly admin?: boolean;
}

/** A bad request and the answer it must get: a 4xx, the code, and a piece of the message that says what is wrong. */
interface BadInput extends Sent {
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly message: string;
  /** A header the answer must carry, lower-case name. */
  readonly header?: readonly [string, string];
  /** Leaf's route (the library's ID server): the error is one `text/plain` line, `<code>: <message>`. */
  readonly textLine?: boolean;
}

/** The fields a library error adds to the body (`LeafErrorBody`), by code; the demo's own codes add none. */
function fieldsOf(code: string): Record<string, unknown> {
  if (code === 'LEAF_UNKNOWN_BIZ_TAG') return { bizTag: expect.any(String) };
  if (code === 'LEAF_INVALID_ARGUMENT') return { argument: expect.any(String) };
  return {};
}

const get = (path: string): Sent => ({ method: 'GET', path });
const post = (path: string, json: unknown): Sent => ({ method: 'POST', path, json });
const admin = (sent: Sent): Sent => ({ ...sent, admin: true });
const order = { customer: 'ACME Corp', amountCents: 4999, currency: 'EUR' };
const user = { name: 'Ada Lovelace', email: 'ada@example.com' };

const countRule = 'count must be an integer from 1 to 10000 (maxBatchSize), got';
const countPlain = 'count must be given as a plain query parameter, such as ?count=2, got';
const notJson = (route: string, came: string) =>
  `${route} takes a JSON body, sent with the header "Content-Type: application/json"; this one came as "${came}".`;
const badId = 'id must be a positive integer from 1 to 9223372036854775807, written in decimal digits';
const startAtDigits = 'startAt must be a decimal string of 1 to 19 digits';
const badOrderId = 'orderId must be a positive integer from 1 to 9223372036854775807, written in decimal digits';
const notACode = 'Not an OpaqueIdCodec code:';

const CASES: BadInput[] = [
  // GET /ids/:tag: the tag
  {
    title: 'an unknown tag',
    ...get('/ids/no-such-tag'),
    status: 404,
    code: 'LEAF_UNKNOWN_BIZ_TAG',
    message: 'Unknown biz tag "no-such-tag"',
  },
  {
    title: 'a blank tag',
    ...get('/ids/%20'),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: 'must not be empty or only white space',
  },
  {
    title: 'a tag of a tab and a newline',
    ...get('/ids/%09%0A'),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: 'must not be empty or only white space',
  },
  {
    title: 'a tag of 129 characters',
    ...get(`/ids/${'t'.repeat(129)}`),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: 'at most 128 characters',
  },
  {
    title: 'a tag that is SQL',
    ...get('/ids/%27%3B%20DROP%20TABLE%20leaf_alloc%3B--'),
    status: 404,
    code: 'LEAF_UNKNOWN_BIZ_TAG',
    message: 'Unknown biz tag "\'; DROP TABLE leaf_alloc;--"',
  },
  {
    title: 'an unknown non-ASCII tag',
    ...get('/ids/%E8%AE%A2%E5%8D%95'),
    status: 404,
    code: 'LEAF_UNKNOWN_BIZ_TAG',
    message: 'Unknown biz tag "订单"',
  },
  {
    title: 'a tag that is not UTF-8',
    ...get('/ids/%FF'),
    status: 400,
    code: 'MALFORMED_URL',
    message: 'not valid percent-encoded UTF-8',
  },
  { title: 'no tag at all', ...get('/ids/'), status: 404, code: 'NOT_FOUND', message: 'Cannot GET /ids/' },
  // GET /ids/:tag?count=
  {
    title: 'count=0',
    ...get('/ids/order?count=0'),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countRule} 0.`,
  },
  {
    title: 'count=-1',
    ...get('/ids/order?count=-1'),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countRule} "-1".`,
  },
  {
    title: 'count=1.5',
    ...get('/ids/order?count=1.5'),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countRule} "1.5".`,
  },
  {
    title: 'count=NaN',
    ...get('/ids/order?count=NaN'),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countRule} "NaN".`,
  },
  {
    title: 'count=Infinity',
    ...get('/ids/order?count=Infinity'),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countRule} "Infinity".`,
  },
  {
    title: 'count=1e309',
    ...get('/ids/order?count=1e309'),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countRule} "1e309".`,
  },
  {
    title: 'count=0x10',
    ...get('/ids/order?count=0x10'),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countRule} "0x10".`,
  },
  {
    title: 'count=" 1"',
    ...get('/ids/order?count=%201'),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countRule} " 1".`,
  },
  {
    title: 'count=99999999999',
    ...get('/ids/order?count=99999999999'),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countRule} 99999999999.`,
  },
  {
    title: 'count=abc',
    ...get('/ids/order?count=abc'),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countRule} "abc".`,
  },
  {
    title: 'an empty count',
    ...get('/ids/order?count='),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countRule} "".`,
  },
  {
    title: 'count given twice',
    ...get('/ids/order?count=1&count=2'),
    status: 400,
    code: 'INVALID_COUNT',
    message: 'count must be given once, got it 2 times (["1","2"]).',
  },
  {
    title: 'count[]=2 (brackets are no array here: without the check one ID would come back)',
    ...get('/ids/order?count%5B%5D=2'),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countPlain} ?count[]=2 (brackets and dots are not read).`,
  },
  {
    title: 'count[0]=2&count[1]=3',
    ...get('/ids/order?count[0]=2&count[1]=3'),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countPlain} ?count[0]=2&count[1]=3`,
  },
  {
    title: 'count of 23 digits, reported as sent (not 1e+23)',
    ...get('/ids/order?count=99999999999999999999999'),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countRule} 99999999999999999999999.`,
  },
  {
    title: 'count=10001, one past maxBatchSize',
    ...get('/ids/order?count=10001'),
    status: 400,
    code: 'INVALID_COUNT',
    message: `${countRule} 10001.`,
  },
  // Leaf's route, now the library's ID server (LeafServerModule): errors are one text/plain line, as Leaf's clients read
  {
    title: 'Leaf route, unknown key',
    ...get('/api/segment/get/no-such-tag'),
    status: 404,
    code: 'LEAF_UNKNOWN_BIZ_TAG',
    message: 'Unknown biz tag "no-such-tag"',
    textLine: true,
  },
  {
    title: 'Leaf route, blank key',
    ...get('/api/segment/get/%20'),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: 'must not be empty',
    textLine: true,
  },
  {
    title: 'Leaf route, key of 129 characters',
    ...get(`/api/segment/get/${'k'.repeat(129)}`),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: 'at most 128 characters',
    textLine: true,
  },
  // Orders and users: bodies
  {
    title: 'order, amount as a string',
    ...post('/orders', { ...order, amountCents: '4999' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'amountCents must be an integer number',
  },
  {
    title: 'order, customer as a number',
    ...post('/orders', { ...order, customer: 42 }),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'customer must be a string',
  },
  {
    title: 'order, an extra field',
    ...post('/orders', { ...order, coupon: 'FREE' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'property coupon should not exist',
  },
  {
    title: 'order, customer of 101 characters',
    ...post('/orders', { ...order, customer: 'c'.repeat(101) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'customer must be shorter than or equal to 100 characters',
  },
  {
    title: 'order, amount past int32',
    ...post('/orders', { ...order, amountCents: 2 ** 31 }),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'amountCents must not be greater than 2147483647',
  },
  {
    title: 'order, lower-case currency',
    ...post('/orders', { ...order, currency: 'eur' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'currency must be an ISO 4217 code',
  },
  {
    title: 'order, a body of 150 kB',
    ...post('/orders', { ...order, customer: 'c'.repeat(150_000) }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: 'more than the limit of 102400',
  },
  {
    title: 'order, malformed JSON',
    method: 'POST',
    path: '/orders',
    raw: '{"customer":',
    status: 400,
    code: 'MALFORMED_JSON',
    message: 'The body is not a JSON object or array',
  },
  {
    title: 'order, JSON null',
    method: 'POST',
    path: '/orders',
    raw: 'null',
    status: 400,
    code: 'MALFORMED_JSON',
    message: 'The body is not a JSON object or array',
  },
  // Bodies that are not JSON: one 415 that says so, not a list of every property as missing
  {
    title: 'order, form-encoded (what curl -d sends without a Content-Type)',
    method: 'POST',
    path: '/orders',
    raw: 'customer=ACME&amountCents=4999&currency=EUR',
    type: 'application/x-www-form-urlencoded',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: notJson('POST /orders', 'application/x-www-form-urlencoded'),
    header: ['accept-post', 'application/json'],
  },
  {
    title: 'user, JSON sent as text/plain',
    method: 'POST',
    path: '/users',
    raw: JSON.stringify(user),
    type: 'text/plain',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: notJson('POST /users', 'text/plain'),
  },
  {
    title: 'invoice, XML',
    method: 'POST',
    path: '/invoices',
    raw: '<invoice><orderId>1</orderId></invoice>',
    type: 'application/xml',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: notJson('POST /invoices', 'application/xml'),
  },
  {
    title: 'order, JSON in a charset other than UTF-8',
    method: 'POST',
    path: '/orders',
    raw: JSON.stringify(order),
    type: 'application/json; charset=latin1',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'The body\'s charset "latin1" is not read here: send JSON in UTF-8',
  },
  {
    title: 'order, no body at all',
    method: 'POST',
    path: '/orders',
    empty: true,
    status: 400,
    code: 'MISSING_BODY',
    message: 'POST /orders takes a JSON object as its body (Content-Type: application/json); this request has none.',
  },
  {
    title: 'user, not an email',
    ...post('/users', { ...user, email: 'not-an-email' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'email must be an email address',
  },
  {
    title: 'user, name of 101 characters',
    ...post('/users', { ...user, name: 'n'.repeat(101) }),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'name must be shorter than or equal to 100 characters',
  },
  {
    title: 'user, empty body',
    ...post('/users', {}),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'name must be a string',
  },
  // Orders and users: ids in the path
  {
    title: 'order id not a number',
    ...get('/orders/abc'),
    status: 400,
    code: 'INVALID_ID',
    message: `${badId}, got "abc".`,
  },
  {
    title: 'order id beyond BIGINT',
    ...get('/orders/99999999999999999999999'),
    status: 400,
    code: 'INVALID_ID',
    message: `${badId}, got "99999999999999999999999".`,
  },
  {
    title: 'order id 2^63',
    ...get('/orders/9223372036854775808'),
    status: 400,
    code: 'INVALID_ID',
    message: `${badId}, got "9223372036854775808".`,
  },
  { title: 'order id negative', ...get('/orders/-1'), status: 400, code: 'INVALID_ID', message: `${badId}, got "-1".` },
  {
    title: 'order id in exponent notation',
    ...get('/orders/1e3'),
    status: 400,
    code: 'INVALID_ID',
    message: `${badId}, got "1e3".`,
  },
  { title: 'user id 0', ...get('/users/0'), status: 400, code: 'INVALID_ID', message: `${badId}, got "0".` },
  {
    title: 'an order that does not exist',
    ...get('/orders/424242'),
    status: 404,
    code: 'NOT_FOUND',
    message: 'Order 424242 does not exist.',
  },
  // Orders by public ID
  {
    title: 'public order id too short',
    ...get('/orders/public/abc'),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: `${notACode} "abc" has 3 characters`,
  },
  {
    title: 'public order id with a character outside 0-9A-Za-z',
    ...get('/orders/public/0vqjVBYdHz_'),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: `${notACode} "0vqjVBYdHz_" has "_" at character 11`,
  },
  {
    title: 'public order id beyond 2^63',
    ...get('/orders/public/zzzzzzzzzzz'),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: `${notACode} "zzzzzzzzzzz" stands for 2^63 or more`,
  },
  // Invoices
  {
    title: 'invoice, order id as a number',
    ...post('/invoices', { orderId: 1 }),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: `${badOrderId} in a string, got 1`,
  },
  {
    title: 'invoice, order id with a leading zero',
    ...post('/invoices', { orderId: '01' }),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: `${badOrderId} in a string, got "01"`,
  },
  {
    title: 'invoice, no order id',
    ...post('/invoices', {}),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: `${badOrderId} in a string, got nothing`,
  },
  {
    title: 'invoice of an order that does not exist',
    ...post('/invoices', { orderId: '424242' }),
    status: 404,
    code: 'NOT_FOUND',
    message: 'Order 424242 does not exist.',
  },
  {
    title: 'invoice number of another format',
    ...get('/invoices/2026-000001'),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: '"2026-000001" is not a code of "invoice": codes of "invoice" look like INV-{yyyy}{MM}{dd}-{seq:6}.',
  },
  {
    title: 'invoice number of a day that does not exist',
    ...get('/invoices/INV-20261301-000001'),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: 'holds no real date (year 2026, month 13, day 01)',
  },
  {
    title: 'invoice number that no invoice has',
    ...get('/invoices/INV-20261201-000001'),
    status: 404,
    code: 'NOT_FOUND',
    message: 'Invoice INV-20261201-000001 does not exist.',
  },
  // Admin: POST /admin/tags
  {
    title: 'admin, empty tag',
    ...admin(post('/admin/tags', { tag: '' })),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: 'Invalid biz tag: a biz tag must not be empty',
  },
  {
    title: 'admin, tag of 129 characters',
    ...admin(post('/admin/tags', { tag: 'a'.repeat(129) })),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: 'at most 128 characters',
  },
  {
    title: 'admin, tag as a number',
    ...admin(post('/admin/tags', { tag: 42 })),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'tag must be a string',
  },
  {
    title: 'admin, no tag',
    ...admin(post('/admin/tags', { step: 10 })),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'tag must be a string',
  },
  {
    title: 'admin, step 0',
    ...admin(post('/admin/tags', { tag: 'bad', step: 0 })),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: 'A step must be an integer from 1 to 1000000 (maxStep), got 0.',
  },
  {
    title: 'admin, step past maxStep',
    ...admin(post('/admin/tags', { tag: 'bad', step: 2_000_000 })),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: '(maxStep), got 2000000.',
  },
  {
    title: 'admin, step 1.5',
    ...admin(post('/admin/tags', { tag: 'bad', step: 1.5 })),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'step must be an integer number',
  },
  {
    title: 'admin, step as a string',
    ...admin(post('/admin/tags', { tag: 'bad', step: '10' })),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'step must be an integer number',
  },
  {
    title: "admin, startAt '-1'",
    ...admin(post('/admin/tags', { tag: 'bad', startAt: '-1' })),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: startAtDigits,
  },
  {
    title: "admin, startAt 'abc'",
    ...admin(post('/admin/tags', { tag: 'bad', startAt: 'abc' })),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: startAtDigits,
  },
  {
    title: 'admin, startAt of 20 digits',
    ...admin(post('/admin/tags', { tag: 'bad', startAt: '1'.repeat(20) })),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: startAtDigits,
  },
  {
    title: "admin, startAt '9223372036854775807' (no ID would be left)",
    ...admin(post('/admin/tags', { tag: 'bad', startAt: '9223372036854775807' })),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: 'startAt must be a bigint from 1 to 9223372036854775806, got 9223372036854775807.',
  },
  {
    title: "admin, startAt '0'",
    ...admin(post('/admin/tags', { tag: 'bad', startAt: '0' })),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: 'startAt must be a bigint from 1 to',
  },
  {
    title: 'admin, startAt as a JSON number',
    ...admin(post('/admin/tags', { tag: 'bad', startAt: 100 })),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'a JSON number loses digits past 2^53',
  },
  {
    title: 'admin, description of 257 characters',
    ...admin(post('/admin/tags', { tag: 'bad', description: 'd'.repeat(257) })),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: 'A description must be a string of at most 256 characters.',
  },
  {
    title: 'admin, an extra field',
    ...admin(post('/admin/tags', { tag: 'bad', maxId: '1' })),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'property maxId should not exist',
  },
  {
    title: 'admin, malformed JSON',
    method: 'POST',
    path: '/admin/tags',
    raw: '{"tag": "bad",',
    admin: true,
    status: 400,
    code: 'MALFORMED_JSON',
    message: 'The body is not a JSON object or array',
  },
  {
    title: 'admin, form-encoded',
    method: 'POST',
    path: '/admin/tags',
    raw: 'tag=parcel',
    type: 'application/x-www-form-urlencoded',
    admin: true,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: notJson('POST /admin/tags', 'application/x-www-form-urlencoded'),
  },
  // Admin: PATCH /admin/tags/:tag
  {
    title: 'admin, step change as text',
    method: 'PATCH',
    path: '/admin/tags/order',
    raw: '{"step": 5}',
    type: 'text/plain',
    admin: true,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: notJson('PATCH /admin/tags/order', 'text/plain'),
    header: ['accept-patch', 'application/json'],
  },
  {
    title: 'admin, step change to "abc"',
    ...admin({ method: 'PATCH', path: '/admin/tags/order', json: { step: 'abc' } }),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'step must be an integer number',
  },
  {
    title: 'admin, step change without a step',
    ...admin({ method: 'PATCH', path: '/admin/tags/order', json: {} }),
    status: 400,
    code: 'VALIDATION_FAILED',
    message: 'step must be an integer number',
  },
  {
    title: 'admin, step change of a blank tag',
    ...admin({ method: 'PATCH', path: '/admin/tags/%20', json: { step: 5 } }),
    status: 400,
    code: 'LEAF_INVALID_ARGUMENT',
    message: 'must not be empty',
  },
  {
    title: 'admin, step change of an unknown tag',
    ...admin({ method: 'PATCH', path: '/admin/tags/no-such-tag', json: { step: 5 } }),
    status: 404,
    code: 'LEAF_UNKNOWN_BIZ_TAG',
    message:
      'Unknown biz tag "no-such-tag": it has no row in leaf_alloc. Create it with POST /admin/tags and the body {"tag":"no-such-tag"}',
  },
];

// On both platforms: each reads bodies and URLs its own way, and each failure must still read the same.
describe.each(HTTP_PLATFORMS)(
  'bad input over HTTP on %s: a clear 4xx each, and /ids/order keeps serving',
  (platform) => {
    const token = newAdminToken();
    let db: TestDatabase;
    let demo: RunningDemo;
    let http: ReturnType<typeof request>;
    let lastId = 0n;

    beforeAll(async () => {
      db = await freshDatabase(`demo_http_bad_input_${platform}`);
      demo = await startDemo({
        ...mysqlDemoEnv(db.name),
        HTTP_PLATFORM: platform,
        ADMIN_TOKEN: token,
        ADMIN_RATE_LIMIT: '1000',
      });
      http = request(demo.url);
    });

    afterAll(async () => {
      await demo?.close();
      await db?.close();
    });

    it('has a table of at least 20 cases', () => {
      expect(CASES.length).toBeGreaterThanOrEqual(20);
      expect(new Set(CASES.map((c) => c.title)).size).toBe(CASES.length);
    });

    it.each(CASES)('$method $title: $status $code', async (bad) => {
      let sent = http[bad.method === 'GET' ? 'get' : bad.method === 'POST' ? 'post' : 'patch'](bad.path);
      if (bad.admin) sent = sent.set(bearer(token));
      if (bad.raw !== undefined) sent = sent.set('Content-Type', bad.type ?? 'application/json').send(bad.raw);
      else if (bad.json !== undefined) sent = sent.send(bad.json as object);
      const res = await sent;

      expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
        status: bad.status,
        type: bad.textLine ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      });
      if (bad.textLine) {
        expect(res.text).toMatch(new RegExp(`^${bad.code}: [^\n]*$`));
        expect(res.text).toContain(bad.message);
      } else {
        expect(res.body).toEqual({
          statusCode: bad.status,
          error: expect.any(String),
          code: bad.code,
          message: expect.anything(),
          ...fieldsOf(bad.code),
        });
        const message = [res.body.message].flat().join('\n');
        expect(message).toContain(bad.message);
      }
      // One clear message, never the validation's list of every property.
      if (bad.status === 415 || bad.code === 'INVALID_COUNT' || bad.code === 'MISSING_BODY')
        expect(typeof res.body.message).toBe('string');
      if (bad.header) expect(res.headers[bad.header[0]]).toBe(bad.header[1]);

      const next = await http.get('/ids/order').expect(200);
      const id = BigInt(next.body.id);
      expect(id).toBeGreaterThan(lastId);
      lastId = id;
    });

    it('changed nothing in the database: no row was added, the table is intact', async () => {
      await expectStartupRowsOnly(db);
      const [{ n }] = await db.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM orders');
      expect(Number(n)).toBe(0);
      const [{ invoices }] = await db.query<Array<{ invoices: number }>>('SELECT COUNT(*) AS invoices FROM invoices');
      expect(Number(invoices)).toBe(0);
    });
  },
);
