import { afterEach, beforeEach, expect, it } from '@jest/globals';
import type { LeafModuleOptions } from 'nest-leaf';
import { sleep } from '../../../harness/assertions.js';
import { captureLogs } from '../redis.js';
import type { FailoverFleet } from './failover-fleet.js';
import { failoverReport, type FailoverRun } from './failover-report.js';

/** A fleet on a replicated store that can lose a window and fail over: what the three shapes drive. */
export type ShapedFailover<StoreOptions> = FailoverFleet<StoreOptions> &
  FailoverRun & {
    cut(tags: readonly string[]): Promise<void>;
    failOver(tags: readonly string[]): Promise<void>;
    dispose(): Promise<void>;
  };

/** What differs between the stores that run the shapes. */
export interface FailoverShapesSpec<StoreOptions> {
  /** Prefixes each printed figure line (`postgres`, or nothing). */
  readonly label: string;
  /** A new fleet on a new replicated pair. */
  start(): Promise<ShapedFailover<StoreOptions>>;
  /** A node's store options for a shape: `fencing` on or off, and whatever else the store needs there. */
  storeOptions(fencing: boolean, shape: 'a' | 'b' | 'c'): StoreOptions;
  /** Failovers per shape with fencing on (`npm run test:reliability` runs more). */
  readonly rounds: number;
  /** The bound of one failover run, in ms. */
  readonly timeoutMs: number;
  /** How long the slow node of shape (b) is left to reserve before the cut: long enough for its store's boot. */
  readonly slowBootMs?: number;
}

/** Fixed small steps, so that the lost window holds many reservations; failoverSkip 10 × maxStep = 100,000. */
const SMALL: Omit<LeafModuleOptions, 'store' | 'bizTags'> = {
  step: 100,
  dynamicStep: false,
  runwayMs: 0,
  maxStep: 10_000,
  reservationTimeoutMs: 1500,
  retryMaxDelayMs: 300,
};

/**
 * The three failover shapes every replicated store runs, each with fencing on (no ID twice, running nodes serve
 * through it) and off (IDs twice: what proves the test can fail): (a) a node started after the promotion, (b) only
 * nodes running throughout, at unequal rates, (c) the library's defaults (60 s runway, dynamic step). Call inside a
 * `describe`.
 */
export function itRunsTheFailoverShapes<StoreOptions>(spec: FailoverShapesSpec<StoreOptions>): void {
  const { rounds, timeoutMs } = spec;
  const runs: ShapedFailover<StoreOptions>[] = [];
  let logs: ReturnType<typeof captureLogs>;

  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(async () => {
    await Promise.all(runs.splice(0).map((run) => run.dispose()));
    logs.restore();
  });

  const start = async () => {
    const run = await spec.start();
    runs.push(run);
    return run;
  };
  const report = (label: string, run: ShapedFailover<StoreOptions>, tags: readonly string[]) =>
    run.results().then((results) => ({
      results,
      ...failoverReport(`${spec.label}${label}`, run, results, tags, logs.warn),
    }));
  const onOff = (fencing: boolean) => `fencing ${fencing ? 'on' : 'off'}`;

  /** (a) Nodes reserve through the cut and stop with the primary; a node started after the promotion takes over. */
  const shapeA = async (fencing: boolean) => {
    const run = await start();
    const store = spec.storeOptions(fencing, 'a');
    const tags = ['order', 'late'];
    await run.node('A', { ...SMALL, bizTags: ['order'] }, [['order', 3000]], store);
    await run.node('B', { ...SMALL, bizTags: ['order'] }, [['order', 800]], store);
    await sleep(1500);
    await run.cut(tags);
    // L boots during the cut: its tag "late" is created on the primary only, and that creation is lost too.
    const l = await run.node('L', { ...SMALL, bizTags: ['order', 'late'] }, [['late', 500]], store);
    await sleep(1000);
    for (const name of ['A', 'B', 'L']) await run.stopNode(name);
    await run.failOver(tags);
    const loads = [['order', 3000] as const, ['late', 500] as const];
    const c = await run.node('C', { ...SMALL, bizTags: ['order', 'late'] }, loads, store);
    await sleep(1500);
    const figures = await report(`(a) node started after the promotion, ${onOff(fencing)}`, run, tags);
    expect(l.reservations.ok).toBeGreaterThan(0);
    expect(run.replicaMaxIds.get('late')).toBe(0n); // "late" never reached the replica
    return { ...figures, c, run };
  };

  it(
    `(a) a node started after the promotion never repeats an ID, a tag whose creation was lost included (${rounds}x)`,
    async () => {
      for (let round = 0; round < rounds; round++) {
        const { duplicates, fences, c, run, results } = await shapeA(true);
        expect(duplicates).toBe(0);
        expect(fences).toBe(1); // C fenced once for both rows
        expect(c.firstAfter.get('order')!.start).toBeGreaterThanOrEqual(run.primaryMaxIds.get('order')!);
        expect(c.firstAfter.get('late')!.start).toBeGreaterThan(run.primaryMaxIds.get('late')!);
        expect(results.find((r) => r.name === 'C')!.failures).toEqual([]);
        await run.dispose();
        logs.warn.length = 0;
      }
    },
    timeoutMs * rounds,
  );

  it(
    '(a) with fencing off, the node started after the promotion hands out IDs twice',
    async () => {
      const { duplicates } = await shapeA(false);
      expect(duplicates).toBeGreaterThan(0);
    },
    timeoutMs,
  );

  /** (b) Three nodes at unequal rates run throughout; the slow one last reserved before the cut. */
  const shapeB = async (fencing: boolean) => {
    const run = await start();
    const store = spec.storeOptions(fencing, 'b');
    const options = { ...SMALL, step: 200, bizTags: ['order'] };
    await run.node('fast', options, [['order', 4000]], store);
    await run.node('medium', options, [['order', 800]], store);
    await sleep(1500);
    // The slow node boots (its one reservation reaches the replica) and needs no other for ~4 s.
    await run.node('slow', options, [['order', 40]], store);
    if (spec.slowBootMs) await sleep(spec.slowBootMs);
    await run.cut(['order']);
    await sleep(800);
    await run.failOver(['order']);
    // A batch larger than what the slow node holds: it reserves now, before the others' refusals (fencing off)
    // move max_id past the lost window.
    await run.batch('slow', 'order', 500);
    await sleep(2500);
    return { ...(await report(`(b) running nodes at unequal rates, ${onOff(fencing)}`, run, ['order'])), run };
  };

  it(
    `(b) nodes running throughout, at unequal rates, never repeat an ID and serve through it (${rounds}x)`,
    async () => {
      for (let round = 0; round < rounds; round++) {
        const { duplicates, fences, failures, run } = await shapeB(true);
        expect(duplicates).toBe(0);
        expect(fences).toBe(1); // the first node to reserve fenced; the others found it done
        expect(failures).toEqual([0, 0, 0]);
        expect(run.nodes.find((n) => n.name === 'slow')!.firstAfter.size).toBe(1); // it did reserve afterwards
        await run.dispose();
        logs.warn.length = 0;
      }
    },
    timeoutMs * rounds,
  );

  it(
    '(b) with fencing off, a running node whose last reservation reached the replica hands out IDs twice',
    async () => {
      const { duplicates } = await shapeB(false);
      expect(duplicates).toBeGreaterThan(0);
    },
    timeoutMs,
  );

  /** (c) The library's defaults: nodes before the cut, one booting during it, one after the promotion. */
  const shapeC = async (fencing: boolean) => {
    const run = await start();
    const store = spec.storeOptions(fencing, 'c');
    const defaults = { bizTags: ['order'] };
    await run.node('A', defaults, [['order', 2000]], store);
    await run.node('B', defaults, [['order', 500]], store);
    await sleep(2000);
    await run.cut(['order']);
    await run.node('X', defaults, [['order', 1000]], store); // its first segments are lost
    await sleep(1000);
    await run.failOver(['order']);
    await run.node('Y', defaults, [['order', 1000]], store);
    await sleep(2000);
    return { ...(await report(`(c) library defaults, ${onOff(fencing)}`, run, ['order'])), run };
  };

  it(
    `(c) with the library's defaults no ID repeats, and running nodes serve through it from memory (${rounds}x)`,
    async () => {
      for (let round = 0; round < rounds; round++) {
        const { duplicates, failures, run } = await shapeC(true);
        expect(duplicates).toBe(0);
        expect(failures).toEqual([0, 0, 0, 0]);
        await run.dispose();
        logs.warn.length = 0;
      }
    },
    timeoutMs * rounds,
  );

  it(
    "(c) with the library's defaults and fencing off, a node started after the promotion hands out IDs twice",
    async () => {
      const { duplicates } = await shapeC(false);
      expect(duplicates).toBeGreaterThan(0);
    },
    timeoutMs,
  );
}
