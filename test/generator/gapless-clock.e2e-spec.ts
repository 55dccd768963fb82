import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource, EntityManager } from 'typeorm';
import type { IdGenerator } from 'nest-leaf';
import {
  GAPLESS_TEST_ENGINES,
  gaplessDatabase,
  gaplessGenerator,
  oneTo,
  RolledBack,
  seededRandom,
  seqs,
  transaction,
  type GaplessDatabase,
} from '../support/gapless.js';

// The period of a gapless number comes from the database's clock, in the module's time zone: a node whose clock is
// wrong (the `clock` option moved far off here) never opens next year's series early, nor keeps last year's open.
//
// Crossing a year on the database's clock, under load: MariaDB's `SET timestamp = …` sets the session's clock, which
// UTC_TIMESTAMP() (what the library reads) follows; each transaction sets it first, to an instant around New Year in
// Paris, as a server whose clock passes midnight would give it. PostgreSQL's and SQLite's clocks cannot be moved
// without faking the server's time: on them the test proves that the node's clock is ignored.

const TAG = 'invoice-fr';
const FORMAT = 'Y{yyyy}-{seq:6}';
/** The series that crosses New Year (a series of its own, so that it starts empty in 2026 too). */
const NEW_YEAR_TAG = 'invoice-es';
const ZONE = 'Europe/Paris';
const DAY_MS = 86_400_000;

/** The database's clock, read by the test itself in the caller's transaction, as ms since the epoch. */
const DB_NOW: Record<string, string> = {
  postgres: 'SELECT (extract(epoch FROM statement_timestamp()) * 1000)::float8 AS ms',
  mariadb: 'SELECT UNIX_TIMESTAMP(NOW(6)) * 1000 AS ms',
  sqlite: "SELECT (julianday('now') - 2440587.5) * 86400000.0 AS ms",
};

const yearIn = (ms: number) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric' }).format(new Date(Math.floor(ms)));

describe.each(GAPLESS_TEST_ENGINES)("gapless periods follow the database's clock on %s", (engine) => {
  let db: GaplessDatabase;
  const generators: Array<{ ids: IdGenerator; close(): Promise<void> }> = [];

  beforeAll(async () => {
    db = await gaplessDatabase(engine, 'gapless_clock');
    // Two nodes, one 400 days ahead (next year's series, were it read off the node), one 400 days behind.
    for (const skew of [400 * DAY_MS, -400 * DAY_MS]) {
      generators.push(
        await gaplessGenerator({
          bizTags: [
            { tag: TAG, gapless: true, period: 'year', format: FORMAT },
            { tag: NEW_YEAR_TAG, gapless: true, period: 'year', format: 'E{yyyy}-{seq:6}' },
          ],
          timeZone: ZONE,
          clock: () => Date.now() + skew,
          waitTimeoutMs: 10_000,
        }),
      );
    }
  });
  afterAll(async () => {
    for (const generator of generators) await generator.close();
    await db?.close();
  });

  it("ignores the node's clock, 400 days off either way: the series is the database's year", async () => {
    const taken = [];
    for (const { ids } of generators) {
      for (let i = 0; i < 3; i++) {
        taken.push(
          await transaction(db.dataSource, async (manager) => {
            const [{ ms }] = (await manager.query(DB_NOW[engine])) as Array<{ ms: number | string }>;
            return { code: await ids.nextGaplessCode(TAG, { manager }), year: yearIn(Number(ms)) };
          }),
        );
      }
    }
    const year = taken[0]!.year;
    expect(taken.map((t) => t!.year)).toEqual(Array(6).fill(year));
    expect(taken.map((t) => t!.code)).toEqual(oneTo(6).map((n) => `Y${year}-00000${n}`));
    expect(yearIn(Date.now() + 400 * DAY_MS)).not.toBe(year);
    expect(yearIn(Date.now() - 400 * DAY_MS)).not.toBe(year);
  });

  // Only where the database's clock can be moved (see above).
  if (engine !== 'mariadb') return;
  it("crosses New Year under load on the database's clock: the new series starts at 1 exactly at midnight in Paris", async () => {
    const source: DataSource = await db.another();
    // 2027-01-01T00:00:00+01:00
    const midnight = Date.UTC(2026, 11, 31, 23, 0, 0);
    const random = seededRandom(7);
    // 60 transactions whose database instants run from 1.5 s before midnight to 1.5 s after, the ones on either side
    // of it included, started at once on 10 connections by both nodes, a quarter rolling back.
    const offsets = [-1, 0, 1, ...oneTo(57).map((i) => Math.round((i / 57) * 3000 - 1500))];
    const plans = offsets
      // The instants next to midnight always commit, so that the test sees on which side each lands.
      .map((offset) => ({
        at: midnight + offset,
        rollback: Math.abs(offset) > 1 && random() < 0.25,
        order: random(),
      }))
      .sort((a, b) => a.order - b.order);
    const setClock = (manager: EntityManager, at: number) => manager.query(`SET timestamp = ${(at / 1000).toFixed(3)}`);
    const outcomes = await Promise.all(
      plans.map(({ at, rollback }, i) =>
        transaction(source, async (manager) => {
          await setClock(manager, at);
          const code = await generators[i % 2].ids.nextGaplessCode(NEW_YEAR_TAG, { manager });
          await manager.query('INSERT INTO numbered (code, db_time) VALUES (?, ?)', [code, String(at)]);
          if (rollback) throw new RolledBack();
          return { code, at };
        }),
      ),
    );
    const committed = outcomes.filter((o): o is { code: string; at: number } => o !== null);
    const before = committed.filter(({ at }) => at < midnight);
    const after = committed.filter(({ at }) => at >= midnight);
    expect(before.every(({ code }) => code.startsWith('E2026-'))).toBe(true);
    expect(after.every(({ code }) => code.startsWith('E2027-'))).toBe(true);
    expect(seqs(before.map((o) => o.code))).toEqual(oneTo(before.length));
    expect(seqs(after.map((o) => o.code))).toEqual(oneTo(after.length));
    // The instants on either side of midnight, if they committed, landed on their side.
    const edge = (at: number) => committed.find((o) => o.at === at)?.code.slice(0, 5);
    expect([edge(midnight - 1), edge(midnight), edge(midnight + 1)]).toEqual(['E2026', 'E2027', 'E2027']);
    const stored = (await source.query("SELECT code FROM numbered WHERE code LIKE 'E%'")) as Array<{ code: string }>;
    expect(stored.map((row) => row.code).sort()).toEqual(committed.map((o) => o.code).sort());
    console.log(
      `${engine}: New Year under load: ${before.length} numbers of 2026, ${after.length} of 2027, ` +
        `${plans.length - committed.length} rolled back`,
    );
  });
});
