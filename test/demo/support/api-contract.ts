import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { IdGenerator } from 'nest-leaf';
import { RequestDrain } from '../../../apps/demo/src/lifecycle/request-drain.service.js';
import { startDemo, type RunningDemo } from './demo-app.js';

/** 2^53 + 1: the first integer a JavaScript number cannot hold. `order` IDs start here, so any trip through Number shows. */
export const BEYOND_DOUBLE = 9_007_199_254_740_993n;

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
 * `order` at `max_id = BEYOND_DOUBLE` and a row for the unconfigured tag `invoice`.
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

      it('answers 404 with the library code to an unknown tag', async () => {
        const res = await http.get('/ids/no-such-tag').expect(404);
        expect(res.body).toEqual({
          statusCode: 404,
          error: 'Not Found',
          code: 'LEAF_UNKNOWN_BIZ_TAG',
          message: expect.stringContaining('Unknown biz tag "no-such-tag"'),
        });
      });

      it('answers 400 to a tag longer than leaf_alloc.biz_tag allows', async () => {
        const res = await http.get(`/ids/${'t'.repeat(129)}`).expect(400);
        expect(res.body.code).toBe('LEAF_INVALID_ARGUMENT');
      });

      it('serves a tag that is not configured but has a row in leaf_alloc', async () => {
        const res = await http.get('/ids/invoice?count=3').expect(200);
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

      it('answers 404 to an unknown key', async () => {
        const res = await http.get('/api/segment/get/nope').expect(404);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.body.code).toBe('LEAF_UNKNOWN_BIZ_TAG');
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
      });

      it('GET /monitor serves the HTML page', async () => {
        const res = await http.get('/monitor').expect(200);
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(res.text).toContain('<title>nest-leaf · segment monitor</title>');
        expect(res.text).toContain("fetch('/monitor/state'");
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
            '/users',
            '/ids/{tag}',
            '/api/segment/get/{key}',
            '/health/ready',
            '/metrics',
          ]),
        );
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
