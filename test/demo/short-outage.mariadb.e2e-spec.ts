import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mysql from 'mysql2/promise';
import request from 'supertest';
import { freshDatabase, MYSQL, mysqlDemoEnv, type TestDatabase } from '../../harness/mariadb.js';
import { MONITOR_STATUS_SCRIPT } from '../../apps/demo/src/monitor/monitor.page.js';
import { startDemo, type RunningDemo } from '../support/demo/demo-app.js';

/** What the monitor page shows of a tag: badge class, badge text, rank (0 down, 1 degraded, 2 up), header words. */
type PageStatus = [string, string, number, string?];
/** The page's own `statusOf`, run here on the JSON it polls, as the browser runs it. */
const pageStatusOf = new Function(`${MONITOR_STATUS_SCRIPT}\nreturn statusOf;`)() as (tag: unknown) => PageStatus;
const RANK = { down: 0, degraded: 1, up: 2 } as const;

interface TagState {
  tag: string;
  health: { status: keyof typeof RANK; reason: string };
  lastReservationOk: boolean;
  failedCalls: number;
}

/**
 * A cut shorter than the runway: another transaction holds the `order` row of leaf_alloc, so its reservations block
 * until the server gives them up (90% of reservationTimeoutMs) and fail, while `order` still holds minutes of IDs at
 * its rate. `/health/ready` and the monitor used to disagree here (the page said "reservations failing" while the
 * health check, by its documented rule, said up); both now read the tag's snapshot, so they agree on every tag at
 * every poll, and the cut costs no call.
 *
 * LEAF_THRESHOLD=1 reserves the next segment at the first ID of a segment, so the reservation fails while nearly a
 * whole segment (1,000 IDs) is left; a few IDs a second make the runway minutes long against its 60 s target.
 */
describe('demo on MariaDB during a cut shorter than the runway', () => {
  let db: TestDatabase;
  let demo: RunningDemo;
  let http: ReturnType<typeof request>;
  let locker: mysql.Connection | undefined;

  beforeAll(async () => {
    db = await freshDatabase('demo_short_outage', { withTable: false });
    demo = await startDemo({ ...mysqlDemoEnv(db.name), LEAF_THRESHOLD: '1' });
    http = request(demo.url);
  });

  afterAll(async () => {
    // Blocked reservations must be able to finish before the generator can close.
    await locker?.rollback().catch(() => undefined);
    await locker?.end();
    await demo?.close();
    await db?.close();
  });

  /** /health/ready, the monitor's JSON and the page's verdict on it, read together; asserts they agree per tag. */
  async function agreement(): Promise<{ status: number; order: TagState; statuses: Map<string, string> }> {
    const [ready, state] = await Promise.all([http.get('/health/ready'), http.get('/monitor/state').expect(200)]);
    const health = (ready.body.details ?? ready.body.info).leaf.tags as Record<string, { status: string }>;
    const tags = state.body.tags as TagState[];
    expect(tags.map((t) => t.tag).sort()).toEqual(Object.keys(health).sort());
    const statuses = new Map<string, string>();
    for (const t of tags) {
      const page = pageStatusOf(t);
      expect({ tag: t.tag, health: health[t.tag].status, monitor: t.health.status, pageRank: page[2] }).toEqual({
        tag: t.tag,
        health: t.health.status,
        monitor: t.health.status,
        pageRank: RANK[t.health.status],
      });
      statuses.set(t.tag, `${t.health.status}: ${t.health.reason}`);
    }
    return { status: ready.status, order: tags.find((t) => t.tag === 'order')!, statuses };
  }

  it('agrees with /health on every tag, at every poll, and the cut costs no call', async () => {
    expect((await agreement()).statuses.get('order')).toBe('up: serving from memory');
    locker = await mysql.createConnection({ ...MYSQL, database: db.name });
    await locker.beginTransaction();
    await locker.query("SELECT max_id FROM leaf_alloc WHERE biz_tag = 'order' FOR UPDATE");

    // A few IDs a second: the first starts the (blocked) reservation of the next segment, the rest give a rate.
    const seen = new Set<string>();
    const deadline = Date.now() + 12_000;
    let failing: Awaited<ReturnType<typeof agreement>> | undefined;
    while (Date.now() < deadline && failing === undefined) {
      expect((await http.get('/ids/order').expect(200)).body.id).toMatch(/^\d+$/);
      const now = await agreement();
      seen.add(now.statuses.get('order')!);
      if (!now.order.lastReservationOk && now.order.health.reason === 'reservations failing, runway held') {
        failing = now;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(failing).toBeDefined();
    // The reservation failed, and what is left outlasts the runway: up for /health (200) and for the page alike.
    expect(failing!.status).toBe(200);
    expect(failing!.statuses.get('order')).toBe('up: reservations failing, runway held');
    expect(pageStatusOf(failing!.order)).toEqual(['held', 'Failing, runway held', 2]);
    for (const tag of ['user', 'invoice', 'invoice_id']) {
      expect(failing!.statuses.get(tag)).toBe('up: serving from memory');
    }
    // Never degraded or down on either side during the cut.
    expect([...seen].filter((status) => !status.startsWith('up:'))).toEqual([]);

    await locker.rollback();
    const until = Date.now() + 10_000;
    let after = await agreement();
    while (after.statuses.get('order') !== 'up: serving from memory' && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      after = await agreement();
    }
    expect(after.statuses.get('order')).toBe('up: serving from memory');
    expect(after.order.failedCalls).toBe(0);
  });
});
