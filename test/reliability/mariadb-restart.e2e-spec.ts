import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mysql from 'mysql2/promise';
import { IdGenerator, LeafUnavailableError, type LeafModuleOptions, type ReservationEvent } from 'nest-leaf';
import { expectStrictlyIncreasing, expectUnique, sleep } from '../../harness/assertions.js';
import { startLeafApp, type LeafApp } from '../../harness/leaf-app.js';
import { LEAF_SCRIPT_DDL } from '../../harness/mariadb.js';
import { PrivateMariaDb } from '../support/private-mariadb.js';

/**
 * MariaDB itself stops and starts again in the middle of a load: once gracefully (SIGTERM, clean InnoDB
 * shutdown) and once by SIGKILL (a crash: InnoDB recovers from its redo log on the next start). The server is a
 * private one (test/support/private-mariadb.ts): the shared server on 3306 is never touched.
 *
 * The load is paced so that the outage outlasts what is in memory: callers first keep getting IDs from memory,
 * then fail with LeafUnavailableError after waitTimeoutMs (never hang, never an untyped error), and IDs flow
 * again soon after the server is back. Across the whole run no ID is issued twice, each tag's IDs increase in
 * the order issued, and after the crash `max_id` is above every ID issued: committed reservations survived.
 */

const TAGS = ['order', 'user', 'invoice'] as const;
type Tag = (typeof TAGS)[number];
/** Concurrent callers. */
const LOOPS = 16;
/** Pause between two calls of one loop: 16 loops make several thousand IDs per second per tag. */
const PACE_MS = 2;
const WAIT_TIMEOUT_MS = 1000;
/** Timer slack allowed past waitTimeoutMs, on a busy 2-CPU machine. */
const MARGIN_MS = 300;
/** How long the server stays down once its process has exited. */
const OUTAGE_MS = 5000;
/** How long the load runs normally before the first fault and after each recovery. */
const STEADY_MS = 2000;
/** Recovery: first ID after the server accepts connections; depends on retryMaxDelayMs (1 s). */
const RECOVERY_BOUND_MS = 5000;
/** The largest step: memory holds at most two segments (~2,000 IDs per tag, a fraction of a second). */
const MAX_STEP = 1000;

const LEAF_OPTIONS: LeafModuleOptions = {
  bizTags: [...TAGS],
  step: 100,
  maxStep: MAX_STEP,
  dynamicStep: true,
  waitTimeoutMs: WAIT_TIMEOUT_MS,
  reservationTimeoutMs: 2000,
  // threshold, retryMinDelayMs (100) and retryMaxDelayMs (1000) keep their defaults.
};

const now = () => performance.now();

interface Failure {
  readonly tag: Tag;
  readonly batch: number;
  readonly start: number;
  readonly end: number;
  readonly error: unknown;
}

/** One successful call: when it resolved and how many IDs it got. */
interface Success {
  readonly start: number;
  readonly end: number;
  readonly count: number;
}

/** What the callers saw, in the order they saw it. */
class Load {
  readonly issued = Object.fromEntries(TAGS.map((tag) => [tag, [] as bigint[]])) as Record<Tag, bigint[]>;
  readonly successes = Object.fromEntries(TAGS.map((tag) => [tag, [] as Success[]])) as Record<Tag, Success[]>;
  readonly failures: Failure[] = [];
  /** Start of the call each loop is in, or 0 between calls. */
  readonly inFlight = new Array<number>(LOOPS).fill(0);
  maxSuccessMs = 0;
  maxFailureMs = 0;
  minFailureMs = Infinity;
  /** Longest time any call has been outstanding, as seen by the sampler (a hang shows here). */
  maxOutstandingMs = 0;
  maxWaiting = 0;
  maxEventLoopLagMs = 0;
  private stopping = false;
  private readonly loops: Promise<void>[];
  private readonly sampler: NodeJS.Timeout;
  private lastSample = now();
  /** [from, to) windows and the largest `waiting` sum seen in each. */
  readonly waitingWindows: Array<{ from: number; to: number; max: number }> = [];

  constructor(private readonly ids: IdGenerator) {
    this.loops = Array.from({ length: LOOPS }, (_, index) => this.loop(index));
    this.sampler = setInterval(() => this.sample(), 20);
  }

  /** Stops the callers; resolves to false if some call never settled within `graceMs`. */
  async stop(graceMs: number): Promise<boolean> {
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.all(this.loops).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    clearInterval(this.sampler);
    this.sample();
    return finished;
  }

  /** Tracks the largest `waiting` sum from now until `end()` is called on the returned window. */
  window(): { end(): number } {
    const window = { from: now(), to: Infinity, max: 0 };
    this.waitingWindows.push(window);
    return {
      end: () => {
        window.to = now();
        return window.max;
      },
    };
  }

  /** How many IDs of `tag` callers had received before `time`. */
  issuedCountBefore(tag: Tag, time: number): number {
    let n = 0;
    for (const success of this.successes[tag]) {
      if (success.end >= time) break;
      n += success.count;
    }
    return n;
  }

  private async loop(index: number): Promise<void> {
    // Each loop keeps to one tag, so a tag's callers are held up by that tag's outage only.
    const tag = TAGS[index % TAGS.length];
    for (let i = 0; !this.stopping; i++) {
      // Every fourth call is a batch of 2 to 8.
      const batch = i % 4 === 3 ? 2 + ((index + i) % 7) : 1;
      const start = now();
      this.inFlight[index] = start;
      try {
        if (batch === 1) {
          const id = await this.ids.nextId(tag);
          // Recorded right after the await: callers observe IDs in the order they were issued.
          this.issued[tag].push(id);
        } else {
          const got = await this.ids.nextIds(tag, batch);
          for (const id of got) this.issued[tag].push(id);
        }
        const end = now();
        this.successes[tag].push({ start, end, count: batch });
        this.maxSuccessMs = Math.max(this.maxSuccessMs, end - start);
      } catch (error) {
        const end = now();
        this.failures.push({ tag, batch, start, end, error });
        this.maxFailureMs = Math.max(this.maxFailureMs, end - start);
        this.minFailureMs = Math.min(this.minFailureMs, end - start);
      }
      this.inFlight[index] = 0;
      await sleep(PACE_MS);
    }
  }

  private sample(): void {
    const t = now();
    this.maxEventLoopLagMs = Math.max(this.maxEventLoopLagMs, t - this.lastSample - 20);
    this.lastSample = t;
    for (const started of this.inFlight)
      if (started > 0) this.maxOutstandingMs = Math.max(this.maxOutstandingMs, t - started);
    const waiting = this.ids.inspect().reduce((sum, state) => sum + state.waiting, 0);
    this.maxWaiting = Math.max(this.maxWaiting, waiting);
    for (const window of this.waitingWindows) if (window.to === Infinity) window.max = Math.max(window.max, waiting);
  }
}

interface TagFault {
  readonly tag: Tag;
  /** IDs in memory (current + standby segment) when the signal was sent. */
  readonly availableAtSignal: bigint;
  /** A reservation was in flight when the signal was sent (it may still have committed). */
  readonly loadingAtSignal: boolean;
  /** IDs callers got after the signal, before the first failure of this tag. */
  readonly fromMemory: number;
  /** ms from the signal to the first failing call's start (memory ran dry then). */
  readonly memoryLastedMs: number;
  /** ms from the signal to the last ID before the restart. */
  readonly lastIdBeforeRestartMs: number;
  readonly failures: number;
  /** ms from "server accepts connections" to the first ID of this tag. */
  readonly recoveryMs: number;
  /** ms from "server accepts connections" to this tag's first successful reservation. */
  readonly reservationRecoveryMs: number;
  /** Highest `max_id` MariaDB acknowledged to a reservation before its process exited. */
  readonly acknowledgedMaxId: bigint;
  /** Highest ID issued before the restart, and `max_id` read right after it. */
  readonly maxIssuedBeforeRestart: bigint;
  readonly maxIdAfterRestart: bigint;
}

interface FaultReport {
  readonly kind: 'stop' | 'kill';
  /** Signal to process exit. */
  readonly exitMs: number;
  /** For the crash: the reservation acknowledged just before the SIGKILL, if the kill was timed on one. */
  readonly crashedAfter?: { readonly tag: string; readonly end: bigint };
  /** `start()` to accepting connections (includes InnoDB crash recovery after a kill). */
  readonly startMs: number;
  readonly maxWaiting: number;
  readonly failedReservations: number;
  readonly tags: readonly TagFault[];
  /** Window of the fault: signal to the end of the steady period after recovery. */
  readonly from: number;
  /** When the server accepted connections again. */
  readonly ready: number;
  readonly to: number;
}

describe('MariaDB stopped and started again in the middle of a load', () => {
  let server: PrivateMariaDb | undefined;
  let node: LeafApp | undefined;
  let ids: IdGenerator;
  let load: Load | undefined;
  let loadFinished: boolean | undefined;
  const reservations: Array<ReservationEvent & { at: number }> = [];
  const faults: FaultReport[] = [];
  const suiteStarted = now();
  /** Set by the crash fault: the reservation listener SIGKILLs mariadbd on the next acknowledged reservation. */
  let crashOnNextReservation = false;
  /** The reservation acknowledged right before the SIGKILL. */
  let crashTrigger: { tag: string; end: bigint; at: number } | undefined;

  /** `max_id` per tag, on a fresh connection (a server restart breaks persistent ones). */
  async function maxIds(): Promise<Map<string, bigint>> {
    const connection = await mysql.createConnection({ ...server!.connectionOptions('leaf'), connectTimeout: 2000 });
    try {
      const [rows] = await connection.query('SELECT biz_tag, CAST(max_id AS CHAR) AS m FROM leaf_alloc');
      return new Map((rows as Array<{ biz_tag: string; m: string }>).map((row) => [row.biz_tag, BigInt(row.m)]));
    } finally {
      await connection.end();
    }
  }

  beforeAll(async () => {
    server = await PrivateMariaDb.start();
    const admin = await mysql.createConnection(server.connectionOptions());
    await admin.query('CREATE DATABASE leaf');
    await admin.query('USE leaf');
    await admin.query(LEAF_SCRIPT_DDL);
    await admin.end();

    // A failed reservation is logged as a warning, dozens of times per outage: startLeafApp keeps logs off.
    node = await startLeafApp('leaf', LEAF_OPTIONS, {
      host: server.host,
      port: server.port,
      username: server.user,
      password: server.password,
      connectTimeout: 2000,
    });
    ids = node.ids;
    ids.onReservation((event) => {
      reservations.push({ ...event, at: now() });
      if (event.ok && crashOnNextReservation) {
        // The crash lands right after MariaDB acknowledged a reservation, before its IDs are even installed:
        // they will be issued from memory, so that commit must survive InnoDB's crash recovery.
        crashOnNextReservation = false;
        server!.killSync();
        crashTrigger = { tag: event.tag, end: event.range!.end, at: now() };
      }
    });

    load = new Load(ids);
    await sleep(STEADY_MS);
  }, 30_000);

  afterAll(async () => {
    try {
      if (load && loadFinished === undefined) loadFinished = await load.stop(WAIT_TIMEOUT_MS + 3000);
      if (server && !server.running) await server.start().catch(() => undefined);
      await node?.close();
    } finally {
      await server?.dispose();
    }
    if (load) printSummary(load, faults, now() - suiteStarted);
  }, 30_000);

  /**
   * Takes the server down with `kind` under load, keeps it down for OUTAGE_MS after its process exited, starts
   * it again, waits until every tag has issued an ID again, then lets the load run normally for STEADY_MS.
   */
  async function fault(kind: 'stop' | 'kill'): Promise<FaultReport> {
    const db = server!;
    const l = load!;
    const waiting = l.window();
    if (kind === 'kill') {
      // SIGKILL the moment the next reservation is acknowledged (or after 3 s, whatever comes first).
      crashOnNextReservation = true;
      const deadline = now() + 3000;
      while (crashOnNextReservation && now() < deadline) await sleep(1);
      crashOnNextReservation = false;
    }
    const snapshot = new Map(ids.inspect().map((state) => [state.tag, state]));
    const trigger = kind === 'kill' ? crashTrigger : undefined;
    const signal = trigger?.at ?? now();
    if (kind === 'stop') await db.stop();
    else await db.kill();
    const exited = now();
    const acknowledged = new Map(
      TAGS.map((tag) => [
        tag,
        reservations.reduce(
          (top, e) => (e.tag === tag && e.ok && e.range && e.at <= exited && e.range.end > top ? e.range.end : top),
          0n,
        ),
      ]),
    );
    await sleep(OUTAGE_MS);

    const maxIssuedBeforeRestart = new Map(TAGS.map((tag) => [tag, l.issued[tag].at(-1) ?? 0n]));
    const lastIdBeforeRestart = new Map(TAGS.map((tag) => [tag, l.successes[tag].at(-1)?.end ?? 0]));
    const restart = now();
    try {
      await db.start();
    } catch (error) {
      throw new Error(`MariaDB did not come back after the ${kind}: ${String(error)}`, { cause: error });
    }
    const ready = now();
    const maxIdAfterRestart = await maxIds();

    const recovered = (tag: Tag) => l.successes[tag].some((success) => success.end >= ready);
    const deadline = ready + 15_000;
    while (!TAGS.every(recovered) && now() < deadline) await sleep(10);
    await sleep(STEADY_MS);
    const end = now();
    const maxWaiting = waiting.end();

    const tags = TAGS.map((tag): TagFault => {
      const failures = l.failures.filter((f) => f.tag === tag && f.end >= signal && f.end < end);
      const firstFailureStart = failures.length > 0 ? Math.min(...failures.map((f) => f.start)) : Infinity;
      const firstIdAfter = l.successes[tag].find((success) => success.end >= ready)?.end ?? Infinity;
      const firstReservationAfter =
        reservations.find((event) => event.tag === tag && event.ok && event.at >= ready)?.at ?? Infinity;
      return {
        tag,
        availableAtSignal: snapshot.get(tag)?.available ?? 0n,
        loadingAtSignal: snapshot.get(tag)?.loading ?? false,
        fromMemory: l.issuedCountBefore(tag, firstFailureStart) - l.issuedCountBefore(tag, signal),
        memoryLastedMs: firstFailureStart - signal,
        lastIdBeforeRestartMs: lastIdBeforeRestart.get(tag)! - signal,
        failures: failures.length,
        recoveryMs: firstIdAfter - ready,
        reservationRecoveryMs: firstReservationAfter - ready,
        acknowledgedMaxId: acknowledged.get(tag)!,
        maxIssuedBeforeRestart: maxIssuedBeforeRestart.get(tag)!,
        maxIdAfterRestart: maxIdAfterRestart.get(tag) ?? 0n,
      };
    });
    const failedReservations = reservations.filter((event) => !event.ok && event.at >= signal && event.at < end).length;
    const report: FaultReport = {
      kind,
      exitMs: exited - signal,
      crashedAfter: trigger && { tag: trigger.tag, end: trigger.end },
      startMs: ready - restart,
      maxWaiting,
      failedReservations,
      tags,
      from: signal,
      ready,
      to: end,
    };
    faults.push(report);
    return report;
  }

  /** Every property a fault must keep, checked together so a failure lists all that broke. */
  function expectOutageHandled(report: FaultReport): void {
    const l = load!;
    const problems: string[] = [];
    const check = (ok: boolean, problem: string) => ok || problems.push(`${report.kind}: ${problem}`);
    for (const t of report.tags) {
      const failures = l.failures.filter((f) => f.tag === t.tag && f.end >= report.from && f.end < report.to);
      // The outage outlasted memory (else nothing was tested), and IDs kept coming from memory first.
      check(t.failures > 0, `${t.tag}: no call failed, so memory outlasted the outage`);
      check(t.fromMemory > 0, `${t.tag}: no ID came from memory after the signal before calls failed`);
      // Every ID in memory at the signal went to a caller before calls failed. A batch that timed out after
      // taking part of its IDs from memory loses those (a gap, never a duplicate): at most batch - 1 each.
      const lostInBatches = failures.reduce((sum, f) => sum + f.batch - 1, 0);
      check(
        BigInt(t.fromMemory + lostInBatches) >= t.availableAtSignal,
        `${t.tag}: ${t.availableAtSignal} IDs were in memory at the signal but callers got only ${t.fromMemory} ` +
          `(+ at most ${lostInBatches} in timed-out batches) before calls failed`,
      );
      // Memory was dry well before the restart: callers lived through the outage on errors, not on IDs.
      check(
        t.lastIdBeforeRestartMs < report.exitMs + OUTAGE_MS - WAIT_TIMEOUT_MS,
        `${t.tag}: IDs still came ${Math.round(t.lastIdBeforeRestartMs)} ms after the signal, close to the restart`,
      );
      // IDs flow again soon after the server is back.
      check(
        t.recoveryMs < RECOVERY_BOUND_MS,
        `${t.tag}: first ID ${Math.round(t.recoveryMs)} ms after the server was back`,
      );
      // Nothing issued before the restart is at or above max_id: acknowledged reservations were on disk.
      check(
        t.maxIdAfterRestart > t.maxIssuedBeforeRestart,
        `${t.tag}: ID ${t.maxIssuedBeforeRestart} was issued but max_id is ${t.maxIdAfterRestart} after the restart`,
      );
      check(
        t.maxIdAfterRestart >= t.acknowledgedMaxId,
        `${t.tag}: MariaDB acknowledged max_id ${t.acknowledgedMaxId} before it went down, but has ${t.maxIdAfterRestart} after the restart`,
      );
      // Once the tag issues IDs again, no call that starts afterwards fails.
      const late = failures.filter((f) => f.start > report.ready + t.recoveryMs);
      check(late.length === 0, `${t.tag}: ${late.length} calls started after the recovery failed`);
    }
    if (report.kind === 'kill')
      check(report.crashedAfter !== undefined, 'no reservation within 3 s to time the SIGKILL on');
    // Waiting callers stay bounded by the callers there are: timed-out waiters do not pile up.
    check(report.maxWaiting > 0, 'no caller ever waited');
    check(report.maxWaiting <= LOOPS, `${report.maxWaiting} callers waited at once, with ${LOOPS} callers`);
    check(report.failedReservations > 0, 'no reservation failed');
    expect(problems).toEqual([]);
  }

  it('runs normally before any fault', () => {
    expect(load!.failures).toEqual([]);
    for (const tag of TAGS) expect(load!.issued[tag].length).toBeGreaterThan(1000);
  });

  it('lives through a graceful stop (SIGTERM) and start of MariaDB', async () => {
    expectOutageHandled(await fault('stop'));
  }, 45_000);

  it('lives through a SIGKILL of mariadbd (crash, InnoDB recovery on restart)', async () => {
    expectOutageHandled(await fault('kill'));
  }, 45_000);

  it('failed calls were all LeafUnavailableError, within waitTimeoutMs, and nothing hung', async () => {
    const l = load!;
    loadFinished = await l.stop(WAIT_TIMEOUT_MS + 3000);
    expect(loadFinished).toBe(true);
    // No call stayed outstanding much past waitTimeoutMs (the sampler sees a call that never settles).
    expect(l.maxOutstandingMs).toBeLessThan(2 * WAIT_TIMEOUT_MS);
    // A call that got its IDs waited no longer than waitTimeoutMs either.
    expect(l.maxSuccessMs).toBeLessThan(WAIT_TIMEOUT_MS + MARGIN_MS);
    const byClass = countBy(l.failures, (f) => errorClass(f.error));
    expect(Object.keys(byClass)).toEqual(['LeafUnavailableError']);
    const late = l.failures.filter((f) => f.end - f.start > WAIT_TIMEOUT_MS + MARGIN_MS);
    expect(late.map((f) => Math.round(f.end - f.start))).toEqual([]);
    // Failures happened only during the two faults.
    const outside = l.failures.filter((f) => !faults.some((r) => f.end >= r.from && f.end < r.to));
    expect(outside.length).toBe(0);
    expect(ids.inspect().reduce((sum, state) => sum + state.waiting, 0)).toBe(0);
  }, 15_000);

  it('issued no ID twice, each tag increasing in issue order, all below the final max_id', async () => {
    const l = load!;
    const finalMaxIds = await maxIds();
    for (const tag of TAGS) {
      const issued = l.issued[tag];
      expectUnique(issued);
      expectStrictlyIncreasing(issued);
      expect(issued.at(-1)! < finalMaxIds.get(tag)!).toBe(true);
      // Each caller's IDs were counted: the library's own tally agrees (batches that timed out included).
      expect(ids.inspect().find((state) => state.tag === tag)!.idsIssued).toBeGreaterThanOrEqual(issued.length);
    }
  });
});

function errorClass(error: unknown): string {
  return error instanceof LeafUnavailableError
    ? 'LeafUnavailableError'
    : error instanceof Error
      ? `${error.constructor.name}: ${error.message.slice(0, 120)}`
      : `non-Error: ${String(error)}`;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function printSummary(load: Load, faults: readonly FaultReport[], suiteMs: number): void {
  const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : 'never');
  const total = TAGS.reduce((sum, tag) => sum + load.issued[tag].length, 0);
  const byClass = countBy(load.failures, (f) =>
    f.error instanceof LeafUnavailableError ? `LeafUnavailableError(${f.error.reason})` : errorClass(f.error),
  );
  const lines = [
    'MariaDB restart under load: summary',
    `IDs issued: ${total} (${TAGS.map((tag) => `${tag} ${load.issued[tag].length}`).join(', ')}); ${LOOPS} callers`,
    `failed calls: ${load.failures.length} ${JSON.stringify(byClass)}; failure duration ${ms(load.minFailureMs)}..${ms(load.maxFailureMs)} ` +
      `(waitTimeoutMs ${WAIT_TIMEOUT_MS}); slowest success ${ms(load.maxSuccessMs)}; longest outstanding call ${ms(load.maxOutstandingMs)}`,
    `max waiting callers: ${load.maxWaiting}; max event-loop lag ${ms(load.maxEventLoopLagMs)}`,
  ];
  for (const fault of faults) {
    lines.push(
      `${fault.kind === 'stop' ? 'graceful stop (SIGTERM)' : 'crash (SIGKILL)'}: exit after ${ms(fault.exitMs)}, down ${OUTAGE_MS} ms, ` +
        `start took ${ms(fault.startMs)}, failed reservations ${fault.failedReservations}, max waiting ${fault.maxWaiting}` +
        (fault.crashedAfter
          ? `; killed right after "${fault.crashedAfter.tag}" got max_id ${fault.crashedAfter.end} acknowledged`
          : ''),
    );
    for (const t of fault.tags) {
      lines.push(
        `  ${t.tag.padEnd(7)} from memory ${t.fromMemory} IDs (had ${t.availableAtSignal}${t.loadingAtSignal ? ' + 1 reservation in flight' : ''}, lasted ${ms(t.memoryLastedMs)}), ` +
          `${t.failures} failed calls, recovery ${ms(t.recoveryMs)} (first reservation ${ms(t.reservationRecoveryMs)}), ` +
          `max issued ${t.maxIssuedBeforeRestart}, acknowledged max_id ${t.acknowledgedMaxId}, max_id after restart ${t.maxIdAfterRestart}`,
      );
    }
  }
  lines.push(`suite time ${(suiteMs / 1000).toFixed(1)} s`);
  process.stdout.write(`\n${lines.map((line) => `  ${line}`).join('\n')}\n`);
}
