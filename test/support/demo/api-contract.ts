import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { IdGenerator } from 'nest-leaf';
import { RequestDrain } from '../../../apps/demo/src/lifecycle/request-drain.service.js';
import { OrderPublicIds } from '../../../apps/demo/src/orders/order-public-ids.js';
import { startDemo, type RunningDemo } from './demo-app.js';

/** 2^53 + 1: the first integer a JavaScript number cannot hold. `order` IDs start here, so any trip through Number shows. */
export const BEYOND_DOUBLE = 9_007_199_254_740_993n;

/** Today in UTC (the demo's default LEAF_TIME_ZONE) as invoice numbers write it, `20261201`; or a day before. */
const todayUtc = (days = 0) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');

/** A database prepared for one run of the contract. */
export interface ContractDatabase {
  /** The demo's environment variables pointing at it. */
  readonly env: Record<string, string>;
  /** Runs SQL in it (the engine's own placeholders). */
  query(sql: string): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

/**
 * Every endpoint of the demo against one engine. `prepare` must create a database in which `leaf_alloc` has
 * `order` at `max_id = BEYOND_DOUBLE` and a row for the unconfigured tag `shipment` (at `max_id` 1).
 */
export function describeDemoApi(engine: string, prepare: () => Promise<ContractDatabase>): void {
  describe(`demo API on ${engine}`, () => {
    let db: ContractDatabase;
    let demo: RunningDemo;
    let http: ReturnType<typeof request>;

    beforeAll(async () => {
      db = await prepare();
      demo = await startDemo(db.env);
      http = request(demo.url);
    });

    afterAll(async () => {
      await demo?.close();
      await db?.close();
    });

    describe('health', () => {
      it('GET /health/live answers 200 while the process runs', async () => {
        const res = await http.get('/health/live').expect(200);
        expect(res.body.status).toBe('ok');
        expect(res.body.details.process).toEqual(expect.objectContaining({ status: 'up', pid: process.pid }));
      });

      it('GET /health/ready checks the database and every tag', async () => {
        const res = await http.get('/health/ready').expect(200);
        expect(res.body.status).toBe('ok');
        expect(res.body.details.database.status).toBe('up');
        expect(res.body.details.leaf).toEqual(
          expect.objectContaining({
            status: 'up',
            running: true,
            tags: expect.objectContaining({
              order: expect.objectContaining({ status: 'up', configured: true, lastReservationOk: true }),
              user: expect.objectContaining({ status: 'up', configured: true, lastReservationOk: true }),
              invoice: expect.objectContaining({ status: 'up', configured: true, lastReservationOk: true }),
              invoice_id: expect.objectContaining({ status: 'up', configured: true, lastReservationOk: true }),
            }),
          }),
        );
        expect(res.body.details.leaf.tags.order.available).toMatch(/^[1-9][0-9]*$/);
      });
    });

    describe('orders', () => {
      // The first `order` ID is the seeded max_id itself: exact only if nothing on the way went through a double.
      it('starts the order IDs at the seeded max_id, exactly (2^53 + 1)', async () => {
        const res = await http.get('/monitor/state').expect(200);
        const order = res.body.tags.find((t: { tag: string }) => t.tag === 'order');
        expect(order.current.start).toBe(BEYOND_DOUBLE.toString());
      });

      it('POST /orders stores an order under a Leaf ID beyond 2^53, and GET reads it back exactly', async () => {
        const created = await http
          .post('/orders')
          .send({ customer: '  ACME Corp ', amountCents: 4999, currency: 'EUR' })
          .expect(201);
        expect(created.body).toEqual({
          id: expect.stringMatching(/^[1-9][0-9]*$/),
          publicId: expect.stringMatching(/^[0-9A-Za-z]{11}$/),
          customer: 'ACME Corp',
          amountCents: 4999,
          currency: 'EUR',
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        });
        expect(BigInt(created.body.id)).toBeGreaterThan(2n ** 53n - 1000n);

        const read = await http.get(`/orders/${created.body.id}`).expect(200);
        expect(read.body).toEqual(created.body);
        const rows = await db.query(`SELECT id FROM orders`);
        expect(rows.map((row) => String(row.id))).toContain(created.body.id);
      });

      it('hands out increasing IDs to orders created one after the other', async () => {
        const ids: bigint[] = [];
        for (let i = 0; i < 5; i++) {
          const res = await http
            .post('/orders')
            .send({ customer: `c${i}`, amountCents: i, currency: 'USD' })
            .expect(201);
          ids.push(BigInt(res.body.id));
        }
        expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
        expect(new Set(ids).size).toBe(5);
      });

      it('gives 200 concurrent orders 200 distinct IDs, all stored', async () => {
        const responses = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            http.post('/orders').send({ customer: `burst-${i}`, amountCents: i, currency: 'JPY' }),
          ),
        );
        expect(responses.map((res) => res.status)).toEqual(Array(200).fill(201));
        const ids = new Set(responses.map((res) => res.body.id as string));
        expect(ids.size).toBe(200);
        const [{ n }] = await db.query(`SELECT COUNT(*) AS n FROM orders WHERE customer LIKE 'burst-%'`);
        expect(Number(n)).toBe(200);
      });

      it('answers 400 with every problem of an invalid body', async () => {
        const res = await http
          .post('/orders')
          .send({ customer: '', amountCents: 1.5, currency: 'eur', coupon: 'FREE' })
          .expect(400);
        expect(res.body.message).toEqual(
          expect.arrayContaining([
            'property coupon should not exist',
            'customer should not be empty',
            'amountCents must be an integer number',
            'currency must be an ISO 4217 code of three capital letters, such as EUR',
          ]),
        );
      });

      it('answers 400 to a body that is not JSON', async () => {
        const res = await http.post('/orders').set('Content-Type', 'application/json').send('{"customer":').expect(400);
        expect(res.body.statusCode).toBe(400);
      });

      it('answers 400 to an id that is not a positive integer, and 404 to an unknown one', async () => {
        for (const bad of ['abc', '0', '-5', '1.5', '01', '9223372036854775808']) {
          const res = await http.get(`/orders/${bad}`).expect(400);
          expect(res.body.message).toContain('id must be a positive integer');
        }
        const res = await http.get('/orders/9223372036854775807').expect(404);
        expect(res.body.message).toBe('Order 9223372036854775807 does not exist.');
      });
    });

    describe('public order IDs', () => {
      it('gives each order a publicId, and GET /orders/public/:publicId reads the order back', async () => {
        const created = await http
          .post('/orders')
          .send({ customer: 'Public Co', amountCents: 100, currency: 'EUR' })
          .expect(201);
        const { id, publicId } = created.body as { id: string; publicId: string };
        expect(publicId).toMatch(/^[0-9A-Za-z]{11}$/);
        expect((await http.get(`/orders/public/${publicId}`).expect(200)).body).toEqual(created.body);
        // The same order by its ID carries the same publicId: one code per ID, every time.
        expect((await http.get(`/orders/${id}`).expect(200)).body.publicId).toBe(publicId);

        const next = await http.post('/orders').send({ customer: 'Next Co', amountCents: 1, currency: 'EUR' });
        expect(BigInt(next.body.id)).toBeGreaterThan(BigInt(id));
        expect(next.body.publicId).toMatch(/^[0-9A-Za-z]{11}$/);
        expect(next.body.publicId).not.toBe(publicId);
      });

      it("answers 400 with the library's message to a publicId that is not a code", async () => {
        for (const [bad, problem] of [
          ['abc', 'has 3 characters'],
          ['0vqjVBYdHzNx', 'has 12 characters'],
          ['0vqjVBYdHz-', 'has "-" at character 11'],
          ['zzzzzzzzzzz', 'stands for 2^63 or more'],
          ['00000000000', 'stands for 0'],
        ]) {
          const res = await http.get(`/orders/public/${encodeURIComponent(bad)}`).expect(400);
          expect(res.body).toEqual({
            statusCode: 400,
            error: 'Bad Request',
            code: 'LEAF_INVALID_ARGUMENT',
            message: expect.stringContaining(`Not an OpaqueIdCodec code: "${bad}" ${problem}`),
            argument: 'code',
          });
        }
      });

      it('answers 404 to the code of an ID no order has, without telling the ID', async () => {
        const code = demo.app.get(OrderPublicIds).encode(424_242n);
        const res = await http.get(`/orders/public/${code}`).expect(404);
        expect(res.body).toEqual({
          statusCode: 404,
          error: 'Not Found',
          code: 'NOT_FOUND',
          message: `No order has the public ID ${code}.`,
        });
      });
    });

    describe('invoices', () => {
      let orderId: string;

      beforeAll(async () => {
        const order = await http.post('/orders').send({ customer: 'Invoiced Ltd', amountCents: 990, currency: 'EUR' });
        orderId = order.body.id;
      });

      /** The sequence of an invoice number: its digits after the last "-". */
      const seqOf = (number: string) => Number(number.slice(number.lastIndexOf('-') + 1));

      it('numbers the first invoice of the day INV-<today in UTC>-000001, and GET /invoices/:number reads it back', async () => {
        const before = todayUtc();
        const created = await http.post('/invoices').send({ orderId }).expect(201);
        const days = new Set([before, todayUtc()]); // in case the test runs across midnight
        expect(created.body).toEqual({
          id: expect.stringMatching(/^[1-9][0-9]*$/),
          number: expect.stringMatching(/^INV-\d{8}-000001$/),
          orderId,
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        });
        expect(days).toContain(created.body.number.slice(4, 12));

        const read = await http.get(`/invoices/${created.body.number}`).expect(200);
        expect(read.body).toEqual(created.body);
        const rows = await db.query(`SELECT id, number, order_id FROM invoices`);
        expect(rows.map((row) => [String(row.id), row.number, String(row.order_id)])).toEqual([
          [created.body.id, created.body.number, orderId],
        ]);
      });

      it('hands out unique, increasing numbers one after the other, and unique ones to concurrent requests', async () => {
        const numbers: string[] = [];
        for (let i = 0; i < 5; i++)
          numbers.push((await http.post('/invoices').send({ orderId }).expect(201)).body.number);
        const seqs = numbers.map(seqOf);
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]);

        const burst = await Promise.all(Array.from({ length: 30 }, () => http.post('/invoices').send({ orderId })));
        expect(burst.map((res) => res.status)).toEqual(Array(30).fill(201));
        const all = [...numbers, ...burst.map((res) => res.body.number as string)];
        expect(new Set(all).size).toBe(35);
        expect(new Set(burst.map((res) => res.body.id as string)).size).toBe(30);
        for (const number of all) expect(number).toMatch(/^INV-\d{8}-\d{6}$/);
        const [{ n }] = await db.query(`SELECT COUNT(*) AS n FROM invoices`);
        expect(Number(n)).toBe(36);
      });

      it('answers 404 to an order that does not exist, without spending a number', async () => {
        const last = seqOf((await http.post('/invoices').send({ orderId }).expect(201)).body.number);
        const res = await http.post('/invoices').send({ orderId: '424242' }).expect(404);
        expect(res.body).toEqual(
          expect.objectContaining({ code: 'NOT_FOUND', message: 'Order 424242 does not exist.' }),
        );
        const next = await http.post('/invoices').send({ orderId }).expect(201);
        expect(seqOf(next.body.number)).toBe(last + 1);
      });

      it('answers 400 with every problem of an invalid body', async () => {
        const rule = 'orderId must be a positive integer from 1 to 9223372036854775807, written in decimal digits';
        for (const [body, problem] of [
          [{ orderId: Number(orderId) }, `${rule} in a string, got ${Number(orderId)}`],
          [{ orderId: '0' }, `${rule} in a string, got "0"`],
          [{ orderId: '9223372036854775808' }, `${rule} in a string, got "9223372036854775808"`],
          [{}, `${rule} in a string, got nothing`],
          [{ orderId, amount: 5 }, 'property amount should not exist'],
        ] as const) {
          const res = await http.post('/invoices').send(body).expect(400);
          expect(res.body).toEqual(
            expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.arrayContaining([problem]) }),
          );
        }
      });

      it("answers 400 with the library's message to a number parseCode refuses, and 404 to one no invoice has", async () => {
        for (const [bad, problem] of [
          [
            'INV-2026-1',
            '"INV-2026-1" is not a code of "invoice": codes of "invoice" look like INV-{yyyy}{MM}{dd}-{seq:6}.',
          ],
          ['42', '"42" is not a code of "invoice"'],
          ['INV-20260230-000001', '"INV-20260230-000001" holds no real date (year 2026, month 02, day 30)'],
          ['INV-20261201-000000', 'is not a code nest-leaf issues for "invoice"'],
          ['INV-20261201-0000001', 'is not a code nest-leaf issues for "invoice"'],
        ]) {
          const res = await http.get(`/invoices/${bad}`).expect(400);
          expect(res.body).toEqual({
            statusCode: 400,
            error: 'Bad Request',
            code: 'LEAF_INVALID_ARGUMENT',
            message: expect.stringContaining(problem),
            argument: 'code',
          });
        }
        const absent = `INV-${todayUtc()}-999999`;
        const res = await http.get(`/invoices/${absent}`).expect(404);
        expect(res.body).toEqual(
          expect.objectContaining({ code: 'NOT_FOUND', message: `Invoice ${absent} does not exist.` }),
        );
      });
    });

    describe('users', () => {
      it('POST /users stores a user (email in lower case) and GET reads it back', async () => {
        const created = await http
          .post('/users')
          .send({ name: 'Ada Lovelace', email: ' Ada@Example.COM ' })
          .expect(201);
        expect(created.body).toEqual({
          id: expect.stringMatching(/^[1-9][0-9]*$/),
          name: 'Ada Lovelace',
          email: 'ada@example.com',
          createdAt: expect.any(String),
        });
        expect((await http.get(`/users/${created.body.id}`).expect(200)).body).toEqual(created.body);
      });

      it('answers 409 to a second user with the same email', async () => {
        await http.post('/users').send({ name: 'Grace', email: 'grace@example.com' }).expect(201);
        const res = await http.post('/users').send({ name: 'Grace H.', email: 'GRACE@example.com' }).expect(409);
        expect(res.body.message).toBe('A user with email grace@example.com already exists.');
      });

      it('answers 400 to an invalid user and 404 to an unknown id', async () => {
        const res = await http
          .post('/users')
          .send({ name: 'x'.repeat(101), email: 'not-an-email' })
          .expect(400);
        expect(res.body.message).toEqual(
          expect.arrayContaining([
            'name must be shorter than or equal to 100 characters',
            'email must be an email address, such as ada@example.com',
          ]),
        );
        await http.post('/users').send({}).expect(400);
        await http.get('/users/424242').expect(404);
        await http.get('/users/x').expect(400);
      });
    });

    describe('ids', () => {
      it('GET /ids/:tag answers one ID as a string, increasing from call to call', async () => {
        const first = await http.get('/ids/user').expect(200);
        const second = await http.get('/ids/user').expect(200);
        expect(first.body).toEqual({ tag: 'user', id: expect.stringMatching(/^[1-9][0-9]*$/) });
        expect(BigInt(second.body.id)).toBeGreaterThan(BigInt(first.body.id));
      });

      it('GET /ids/:tag?count=100 answers 100 distinct increasing IDs', async () => {
        const res = await http.get('/ids/order?count=100').expect(200);
        expect(res.body.tag).toBe('order');
        const ids = (res.body.ids as string[]).map((id) => BigInt(id));
        expect(ids).toHaveLength(100);
        for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
        expect(ids[0]).toBeGreaterThan(2n ** 53n);
      });

      it('answers a batch larger than a segment (it spans segments)', async () => {
        const res = await http.get('/ids/user?count=2500').expect(200);
        expect(new Set(res.body.ids).size).toBe(2500);
      });

      it('answers 400 to a count that is not an integer from 1 to maxBatchSize', async () => {
        for (const count of ['0', '-1', '1.5', 'abc', '', '10001', '1e3', '99999999999999999999']) {
          const res = await http.get(`/ids/order?count=${encodeURIComponent(count)}`).expect(400);
          expect(res.body.message).toMatch(/count must be/);
        }
      });

      it('answers 400 to count[]=2 and to a repeated count, rather than one ID', async () => {
        for (const query of ['count%5B%5D=2', 'count=1&count=2']) {
          const res = await http.get(`/ids/order?${query}`).expect(400);
          expect(res.body).toEqual(
            expect.objectContaining({ code: 'INVALID_COUNT', message: expect.stringMatching(/^count must be given /) }),
          );
        }
      });

      it('marks every answer that carries IDs Cache-Control: no-store', async () => {
        expect((await http.get('/ids/user').expect(200)).headers['cache-control']).toBe('no-store');
        expect((await http.get('/ids/user?count=3').expect(200)).headers['cache-control']).toBe('no-store');
        expect((await http.get('/api/segment/get/user').expect(200)).headers['cache-control']).toBe('no-store');
        const order = await http
          .post('/orders')
          .send({ customer: 'Cache', amountCents: 1, currency: 'EUR' })
          .expect(201);
        expect(order.headers['cache-control']).toBe('no-store');
        const user = await http.post('/users').send({ name: 'Cache', email: 'cache@example.com' }).expect(201);
        expect(user.headers['cache-control']).toBe('no-store');
        const invoice = await http.post('/invoices').send({ orderId: order.body.id }).expect(201);
        expect(invoice.headers['cache-control']).toBe('no-store');
      });

      it("refuses HEAD on the ID routes with 405 and Allow: GET, answers it on Leaf's route, spending no ID", async () => {
        const issued = async () =>
          demo.app
            .get(IdGenerator)
            .inspect()
            .find((s) => s.tag === 'user')!.idsIssued;
        const before = await issued();
        for (const path of ['/ids/user', '/ids/user?count=5']) {
          const res = await http.head(path).expect(405);
          expect(res.headers.allow).toBe('GET');
          expect(res.headers['cache-control']).toBe('no-store');
          expect(res.text ?? '').toBe('');
        }
        // Leaf's route is the library's ID server, whose HEAD checks the tag and spends nothing (docs/server.md).
        const head = await http.head('/api/segment/get/user').expect(200);
        expect(head.headers['cache-control']).toBe('no-store');
        expect(head.text ?? '').toBe('');
        expect(await issued()).toBe(before);
        // GET still answers, with the next ID.
        await http.get('/ids/user').expect(200);
        expect(await issued()).toBe(before + 1);
      });

      it('answers 404 with the library code to an unknown tag', async () => {
        const res = await http.get('/ids/no-such-tag').expect(404);
        expect(res.body).toEqual({
          statusCode: 404,
          error: 'Not Found',
          code: 'LEAF_UNKNOWN_BIZ_TAG',
          message: expect.stringContaining('Unknown biz tag "no-such-tag"'),
          bizTag: 'no-such-tag',
        });
      });

      it('answers 400 to a tag longer than leaf_alloc.biz_tag allows', async () => {
        const res = await http.get(`/ids/${'t'.repeat(129)}`).expect(400);
        expect(res.body.code).toBe('LEAF_INVALID_ARGUMENT');
      });

      it('serves a tag that is not configured but has a row in leaf_alloc', async () => {
        const res = await http.get('/ids/shipment?count=3').expect(200);
        expect(res.body.ids).toEqual(['1', '2', '3']);
      });
    });

    describe('Leaf-compatible API', () => {
      it('GET /api/segment/get/:key answers the ID as text/plain, like leaf-server', async () => {
        const res = await http.get('/api/segment/get/order').expect(200);
        expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(res.text).toMatch(/^[1-9][0-9]*$/);
        expect(BigInt(res.text)).toBeGreaterThan(2n ** 53n);
        const next = await http.get('/api/segment/get/order').expect(200);
        expect(BigInt(next.text)).toBeGreaterThan(BigInt(res.text));
      });

      it('answers 404 to an unknown key, in one text line as Leaf clients read errors', async () => {
        const res = await http.get('/api/segment/get/nope').expect(404);
        expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(res.text).toMatch(/^LEAF_UNKNOWN_BIZ_TAG: Unknown biz tag "nope"/);
      });

      it('is open to callers without a token, and serves count=N IDs one per line', async () => {
        const res = await http.get('/api/segment/get/order?count=3').expect(200);
        const ids = res.text.split('\n').map(BigInt);
        expect(ids).toHaveLength(3);
        expect(ids[1]).toBe(ids[0] + 1n);
        // The segment routes of HttpLeafStore are the ID server's client's: a caller without a token gets 401.
        const reserve = await http.post('/api/segment/reserve/order').send({ step: 10 }).expect(401);
        expect(reserve.body.code).toBe('LEAF_UNAUTHORIZED');
      });
    });

    describe('monitor', () => {
      it('GET /monitor/state lists every tag with exact segment bounds', async () => {
        const res = await http.get('/monitor/state').expect(200);
        expect(res.body.running).toBe(true);
        expect(res.body.threshold).toBe(0.2);
        expect(res.body.tags.map((t: { tag: string }) => t.tag)).toEqual(expect.arrayContaining(['order', 'user']));
        const order = res.body.tags.find((t: { tag: string }) => t.tag === 'order');
        expect(BigInt(order.current.start)).toBeGreaterThan(2n ** 53n - 1000n);
        expect(BigInt(order.nextPosition)).toBeGreaterThan(BigInt(order.current.start));
        expect(order.idsIssued).toBeGreaterThan(300);
        expect(order.reservationsByTrigger.startup).toBe(1);
        expect(order).toEqual(expect.objectContaining({ row: 'order', period: 'none' }));
      });

      it("shows the period tag on one line: its current period's row, and counters of every period", async () => {
        const res = await http.get('/monitor/state').expect(200);
        expect(res.body.timeZone).toBe('UTC');
        const lines = res.body.tags.filter((t: { tag: string }) => t.tag.startsWith('invoice'));
        expect(lines.map((t: { tag: string }) => t.tag)).toEqual(['invoice', 'invoice_id']);
        const [invoice, invoiceId] = lines;
        expect(invoice).toEqual(
          expect.objectContaining({ period: 'day', row: expect.stringMatching(/^invoice:\d{8}$/), configured: true }),
        );
        expect([`invoice:${todayUtc()}`, `invoice:${todayUtc(-1)}`]).toContain(invoice.row);
        expect(invoice.idsIssued).toBeGreaterThanOrEqual(38);
        expect(invoiceId).toEqual(expect.objectContaining({ row: 'invoice_id', period: 'none' }));
        expect(invoiceId.idsIssued).toBe(invoice.idsIssued);
      });

      it('GET /monitor serves the HTML page', async () => {
        const res = await http.get('/monitor').expect(200);
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(res.text).toContain('<title>nest-leaf · segment monitor</title>');
        expect(res.text).toContain("fetch('/monitor/state'");
      });

      it('serves the charting library the page loads, from node_modules', async () => {
        const page = (await http.get('/monitor').expect(200)).text;
        expect(page).toContain('<script src="/monitor/vendor/uPlot.iife.min.js"></script>');
        expect(page).toContain('<link rel="stylesheet" href="/monitor/vendor/uPlot.min.css">');
        const script = await http.get('/monitor/vendor/uPlot.iife.min.js').expect(200);
        expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
        expect(script.text).toMatch(/uPlot/);
        const style = await http.get('/monitor/vendor/uPlot.min.css').expect(200);
        expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
        expect(style.text).toContain('.uplot');
      });

      it("GET /monitor/state carries each tag's runway and failed calls", async () => {
        const res = await http.get('/monitor/state').expect(200);
        const order = res.body.tags.find((t: { tag: string }) => t.tag === 'order');
        expect(order).toEqual(
          expect.objectContaining({
            runwayIds: order.available,
            runwayTargetMs: 60_000,
            failedCalls: 0,
          }),
        );
        expect(order.runwayMs === null || typeof order.runwayMs === 'number').toBe(true);
      });
    });

    describe('metrics', () => {
      it('GET /metrics exposes the leaf_* metrics and the default ones', async () => {
        const res = await http.get('/metrics').expect(200);
        expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
        const ids = demo.app.get(IdGenerator);
        const issued = ids.inspect().find((s) => s.tag === 'order')!.idsIssued;
        for (const line of [
          `leaf_ids_issued_total{tag="order"} ${issued}`,
          'leaf_reservations_total{tag="order",trigger="startup"} 1',
          'leaf_reservations_total{tag="user",trigger="startup"} 1',
          'leaf_reservation_duration_seconds_count{tag="user",trigger="startup",result="ok"} 1',
          'leaf_reservation_errors_total{tag="order"} 0',
          'leaf_generator_running 1',
        ]) {
          expect(res.text).toContain(line);
        }
        for (const name of [
          'leaf_waits_total',
          'leaf_step',
          'leaf_ids_remaining',
          'leaf_next_segment_ready',
          'leaf_waiting_callers',
          'leaf_reservation_duration_seconds_bucket',
          'process_cpu_user_seconds_total',
          'nodejs_heap_size_used_bytes',
        ]) {
          expect(res.text).toContain(`# TYPE ${name.replace(/_bucket$/, '')} `);
        }
        expect(res.text).toMatch(/^leaf_step\{tag="user"\} \d+$/m);
      });

      it("labels the period tag by its tag alone, never by its period's row", async () => {
        const res = await http.get('/metrics').expect(200);
        const issued = demo.app
          .get(IdGenerator)
          .inspect()
          .find((s) => s.tag === 'invoice')!.idsIssued;
        expect(res.text.match(/^leaf_ids_issued_total\{tag="invoice"\} .*$/gm)).toEqual([
          `leaf_ids_issued_total{tag="invoice"} ${issued}`,
        ]);
        expect(res.text).toContain(
          'leaf_reservation_duration_seconds_count{tag="invoice",trigger="startup",result="ok"} 1',
        );
        expect(res.text).toContain('leaf_reservations_total{tag="invoice_id",trigger="startup"} 1');
        expect(res.text).not.toMatch(/tag="invoice:/);
      });
    });

    describe('API docs', () => {
      it('serves Swagger UI at /docs and the OpenAPI document at /docs-json', async () => {
        const ui = await http.get('/docs').expect(200);
        expect(ui.text).toContain('swagger-ui');
        const doc = await http.get('/docs-json').expect(200);
        expect(Object.keys(doc.body.paths)).toEqual(
          expect.arrayContaining([
            '/orders',
            '/orders/{id}',
            '/orders/public/{publicId}',
            '/invoices',
            '/invoices/{number}',
            '/users',
            '/ids/{tag}',
            '/api/segment/get/{key}',
            '/health/ready',
            '/metrics',
          ]),
        );
        expect(doc.body.paths['/invoices'].post.summary).toMatch(/invoice/);
        expect(doc.body.paths['/invoices/{number}'].get.summary).toMatch(/number/);
        expect(doc.body.paths['/orders/public/{publicId}'].get.summary).toMatch(/public ID/);
        expect(doc.body.components.schemas.OrderResponse.required).toContain('publicId');
        expect(Object.keys(doc.body.components.schemas.InvoiceResponse.properties)).toEqual([
          'id',
          'number',
          'orderId',
          'createdAt',
        ]);
      });

      it('gives every operation a summary, and every error response the error body schema', async () => {
        const doc = (await http.get('/docs-json').expect(200)).body;
        type Operation = { summary?: string; responses: Record<string, { content?: Record<string, unknown> }> };
        const operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(
          ([path, methods]) => Object.entries(methods).map(([method, op]) => ({ at: `${method} ${path}`, op })),
        );
        expect(operations.length).toBeGreaterThanOrEqual(17);
        for (const { at, op } of operations) {
          expect({ at, summary: op.summary }).toEqual({ at, summary: expect.stringMatching(/\w{3}/) });
          for (const [status, response] of Object.entries(op.responses)) {
            // terminus answers its own health document on 503.
            if (Number(status) < 400 || at.startsWith('get /health/')) continue;
            // Leaf's route answers its errors as one text line, as Leaf's own server answers them.
            if (at === 'get /api/segment/get/{key}') {
              expect({ at, status, content: Object.keys(response.content ?? {}) }).toEqual({
                at,
                status,
                content: ['text/plain'],
              });
              continue;
            }
            expect({ at, status, content: response.content }).toEqual({
              at,
              status,
              content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
            });
          }
        }
        expect(doc.components.schemas.ErrorResponse.required).toEqual(['statusCode', 'error', 'code', 'message']);
        expect(doc.components.schemas.ErrorResponse.properties.statusCode.type).toBe('integer');

        const statuses = (at: Operation) => Object.keys(at.responses);
        const ids = doc.paths['/ids/{tag}'].get as Operation & { parameters: Array<{ name: string; schema: object }> };
        expect(statuses(ids)).toEqual(expect.arrayContaining(['200', '400', '404', '409', '503']));
        expect(ids.parameters.find((p) => p.name === 'count')!.schema).toEqual(
          expect.objectContaining({ type: 'integer', minimum: 1, maximum: 10_000 }),
        );
        const leaf = doc.paths['/api/segment/get/{key}'].get as Operation;
        expect(statuses(leaf)).toEqual(expect.arrayContaining(['200', '400', '404', '503']));
        expect(leaf.responses['200'].content).toEqual({ 'text/plain': expect.anything() });
        for (const path of ['/orders', '/users', '/invoices']) {
          expect(statuses(doc.paths[path].post)).toEqual(expect.arrayContaining(['201', '400', '415', '503']));
        }
        // HEAD is refused (405), not an operation of its own.
        expect(doc.paths['/ids/{tag}'].head).toBeUndefined();
      });
    });

    describe('French invoices, gapless (?series=fr)', () => {
      let orderId: string;

      beforeAll(async () => {
        const order = await http.post('/orders').send({ customer: 'Facture SARL', amountCents: 1200, currency: 'EUR' });
        orderId = order.body.id;
      });

      /** The numbers of the French invoices stored, in order. */
      const frenchSeqs = async () =>
        (await db.query(`SELECT number FROM invoices WHERE number LIKE 'F%'`))
          .map((row) => Number(String(row.number).slice(-6)))
          .sort((a, b) => a - b);

      it('numbers them F<year>-000001, 2, 3, … with no gap, concurrent requests included, and reads them back', async () => {
        const first = await http.post('/invoices?series=fr').send({ orderId }).expect(201);
        expect(first.body).toEqual({
          id: expect.stringMatching(/^[1-9][0-9]*$/),
          number: expect.stringMatching(/^F\d{4}-000001$/),
          orderId,
          createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        });
        expect((await http.get(`/invoices/${first.body.number}`).expect(200)).body).toEqual(first.body);

        const burst = await Promise.all(
          Array.from({ length: 20 }, () => http.post('/invoices?series=fr').send({ orderId })),
        );
        expect(burst.map((res) => res.status)).toEqual(Array(20).fill(201));
        expect(await frenchSeqs()).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
        // The daily series goes on beside it, from memory.
        expect((await http.post('/invoices').send({ orderId }).expect(201)).body.number).toMatch(/^INV-\d{8}-\d{6}$/);
      });

      it('answers 400 INVALID_SERIES to an unknown series and 404 to a missing order, spending no number', async () => {
        for (const query of ['series=es', 'series=FR', 'series=fr&series=fr']) {
          const res = await http.post(`/invoices?${query}`).send({ orderId }).expect(400);
          expect(res.body).toEqual(
            expect.objectContaining({ code: 'INVALID_SERIES', message: expect.stringContaining('series must be fr') }),
          );
        }
        await http.post('/invoices?series=fr').send({ orderId: '424242' }).expect(404);
        expect((await http.post('/invoices?series=fr').send({ orderId }).expect(201)).body.number).toMatch(/-000022$/);
        expect(await frenchSeqs()).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
      });
    });

    describe('shutdown', () => {
      it('answers 503 with Retry-After once the generator is shutting down, and readiness fails', async () => {
        // Closing the generator alone (as the first step of shutdown does) isolates its effect on the API.
        await demo.app.get(IdGenerator).close();

        const res = await http.get('/ids/order').expect(503);
        expect(res.headers['retry-after']).toBe('1');
        expect(res.body).toEqual(
          expect.objectContaining({ code: 'LEAF_UNAVAILABLE', message: expect.stringContaining('shutting down') }),
        );
        const order = await http
          .post('/orders')
          .send({ customer: 'late', amountCents: 1, currency: 'EUR' })
          .expect(503);
        expect(order.headers['retry-after']).toBe('1');
        const [{ id }] = await db.query(`SELECT MIN(id) AS id FROM orders`);
        const invoice = await http
          .post('/invoices')
          .send({ orderId: String(id) })
          .expect(503);
        expect(invoice.body.code).toBe('LEAF_UNAVAILABLE');

        const ready = await http.get('/health/ready').expect(503);
        expect(ready.body.details.leaf).toEqual(expect.objectContaining({ status: 'down', running: false }));
        await http.get('/health/live').expect(200);
      });
    });
  });
}

/**
 * Shutdown with a request in flight: its body is half sent when `app.close()` begins. It must still get its ID
 * and be stored, while a request arriving during shutdown is turned away with 503.
 */
export function describeGracefulShutdown(engine: string, prepare: () => Promise<ContractDatabase>): void {
  describe(`graceful shutdown on ${engine}`, () => {
    it('finishes the request in flight, refuses new ones, then closes', async () => {
      const db = await prepare();
      const demo = await startDemo(db.env);
      try {
        const body = JSON.stringify({ customer: 'in-flight', amountCents: 100, currency: 'EUR' });
        const url = new URL('/orders', demo.url);
        let answer!: (value: { status: number; body: string }) => void;
        const response = new Promise<{ status: number; body: string }>((resolve) => (answer = resolve));
        const req = httpRequest(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => answer({ status: res.statusCode!, body: text }));
        });
        req.write(body.slice(0, 10));
        const drain = demo.app.get(RequestDrain);
        await waitFor(() => drain.pending === 1);

        const closing = demo.close();
        await new Promise((resolve) => setTimeout(resolve, 200));
        const refused = await fetch(new URL('/health/live', demo.url));
        expect(refused.status).toBe(503);
        expect(refused.headers.get('connection')).toBe('close');

        req.end(body.slice(10));
        const { status, body: text } = await response;
        expect(status).toBe(201);
        const order = JSON.parse(text) as { id: string; customer: string };
        expect(order.customer).toBe('in-flight');
        await closing;

        const rows = await db.query(`SELECT customer FROM orders WHERE customer = 'in-flight'`);
        expect(rows).toHaveLength(1);
      } finally {
        await demo.close();
        await db.close();
      }
    });
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
