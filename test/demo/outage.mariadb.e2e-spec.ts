import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mysql from 'mysql2/promise';
import request from 'supertest';
import { freshDatabase, MYSQL, mysqlDemoEnv, type TestDatabase } from '../../harness/mariadb.js';
import { startDemo, type RunningDemo } from '../support/demo/demo-app.js';

/**
 * A real reservation outage: another transaction holds the `order` row of leaf_alloc, so every reservation of
 * `order` blocks until the server gives up on it (its bound, 90% of reservationTimeoutMs, 5 s). With a step of 10 the demo first
 * lives on its last IDs (degraded), then runs out (503), then recovers once the lock is released.
 */
describe('demo on MariaDB when reservations fail', () => {
  let db: TestDatabase;
  let demo: RunningDemo;
  let http: ReturnType<typeof request>;
  let locker: mysql.Connection | undefined;

  beforeAll(async () => {
    db = await freshDatabase('demo_outage', { withTable: false });
    demo = await startDemo({
      ...mysqlDemoEnv(db.name),
      LEAF_STEP: '10',
    });
    http = request(demo.url);
  });

  afterAll(async () => {
    // Blocked reservations must be able to finish before the generator can close.
    await locker?.rollback().catch(() => undefined);
    await locker?.end();
    await demo?.close();
    await db?.close();
  });

  async function orderTag(): Promise<Record<string, unknown>> {
    const state = await http.get('/monitor/state').expect(200);
    return state.body.tags.find((t: { tag: string }) => t.tag === 'order');
  }

  it('is degraded (200) while a tag lives on its last IDs and reservations fail', async () => {
    await http.get('/health/ready').expect(200);
    locker = await mysql.createConnection({ ...MYSQL, database: db.name });
    await locker.beginTransaction();
    await locker.query("SELECT max_id FROM leaf_alloc WHERE biz_tag = 'order' FOR UPDATE");

    // Past the prefetch point of the 10-ID segment: the background reservation starts and blocks on the lock.
    const taken = await http.get('/ids/order?count=9').expect(200);
    expect(taken.body.ids).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(await orderTag()).toEqual(expect.objectContaining({ loading: true, available: '1' }));

    await waitUntil(async () => (await orderTag()).lastReservationOk === false, 8000);
    const ready = await http.get('/health/ready').expect(200);
    expect(ready.body.status).toBe('degraded');
    expect(ready.body.details.leaf.status).toBe('degraded');
    expect(ready.body.details.leaf.tags.order).toEqual(
      expect.objectContaining({
        status: 'degraded',
        available: '1',
        lastReservationOk: false,
        // The server gave the UPDATE up at its own bound (a little under reservationTimeoutMs), and says why.
        lastError: expect.stringContaining('Another transaction holds the leaf_alloc row of "order"'),
      }),
    );
    expect(ready.body.details.leaf.tags.user.status).toBe('up');

    const metrics = await http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^leaf_reservation_errors_total\{tag="order"\} [1-9]\d*$/m);
    expect(metrics.text).toMatch(
      /^leaf_reservation_duration_seconds_count\{tag="order",trigger="prefetch",result="error"\} [1-9]/m,
    );
  });

  it('answers 503 with Retry-After once the last ID is gone, and readiness is down', async () => {
    expect((await http.get('/ids/order').expect(200)).body.id).toBe('10');

    const started = Date.now();
    const res = await http.get('/ids/order').expect(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500); // waited up to waitTimeoutMs (3 s) for a segment
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toEqual(
      expect.objectContaining({
        code: 'LEAF_UNAVAILABLE',
        message: expect.stringContaining('No ID of "order" became available'),
      }),
    );

    const ready = await http.get('/health/ready').expect(503);
    expect(ready.body.status).toBe('error');
    expect(ready.body.details.leaf.tags.order).toEqual(expect.objectContaining({ status: 'down', available: '0' }));
    expect(ready.body.details.database.status).toBe('up');

    const metrics = await http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^leaf_waits_total\{tag="order"\} [1-9]/m);
  });

  it('recovers on its own once the database lets reservations through', async () => {
    await locker!.rollback();
    await waitUntil(async () => (await http.get('/health/ready')).status === 200, 10_000);

    const ready = await http.get('/health/ready').expect(200);
    expect(ready.body.status).toBe('ok');
    const id = BigInt((await http.get('/ids/order').expect(200)).body.id);
    expect(id).toBeGreaterThan(10n);
    const created = await http
      .post('/orders')
      .send({ customer: 'after the outage', amountCents: 1, currency: 'EUR' })
      .expect(201);
    expect(BigInt(created.body.id)).toBeGreaterThan(id);
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
