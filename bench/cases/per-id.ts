import type { IdGenerator } from 'nest-leaf';
import { tagSnapshots } from '../../harness/leaf-app.js';
import type { BenchCase } from '../case.js';
import { floorConcurrentCase, nextIdConcurrentCase, Sink } from '../measure/in-process.js';
import { PER_ID_METHODS, PerIdDatabaseBench } from '../measure/per-id-db.js';
import type { BenchSettings } from '../settings.js';
import { MAIN_TAGS, withMainApp } from '../support/main-app.js';
import { judge, perRound } from '../support/ratio.js';
import { median } from '../support/stats.js';
import { activity, throughputTable, type ThroughputResult } from '../support/throughput.js';
import { collectGarbage, timeRound, warmUp } from '../support/timing.js';

type PerIdKey = 'nextId32' | 'floor32' | 'updatePerId' | 'insertPerId';
export type PerIdResult = Record<PerIdKey, ThroughputResult>;

/** 2. The database as the generator, one statement per ID, against nextId at the same concurrency. */
export const perId: BenchCase<PerIdResult> = {
  name: 'perId',

  run: ({ settings, progress }) =>
    withMainApp((ids, database) => measure(settings.perId, database, ids, new Sink(), progress)),

  ratios(d, settings) {
    const n = settings.perId.concurrency;
    return {
      nextIdVsUpdatePerId: judge(
        'perId',
        `nextId / one UPDATE per ID (both ${n} concurrent)`,
        perRound(d.nextId32.roundsIdsPerSec, d.updatePerId.roundsIdsPerSec),
        { atLeast: 1000 },
      ),
      nextIdVsInsertPerId: judge(
        'perId',
        `nextId / one AUTO_INCREMENT insert per ID (both ${n} concurrent)`,
        perRound(d.nextId32.roundsIdsPerSec, d.insertPerId.roundsIdsPerSec),
        { atLeast: 1000 },
      ),
      floorVsInsertPerId: judge(
        'perId',
        `ceiling: floor / one AUTO_INCREMENT insert per ID (both ${n} concurrent)`,
        perRound(d.floor32.roundsIdsPerSec, d.insertPerId.roundsIdsPerSec),
      ),
      nextIdVsFloorConcurrent: judge(
        'perId',
        `nextId / floor (both ${n} concurrent)`,
        perRound(d.nextId32.roundsIdsPerSec, d.floor32.roundsIdsPerSec),
      ),
    };
  },

  table(d, { perId: s }) {
    return [
      `2. The database per ID, against nextId: ${s.concurrency} concurrent each, median of ${s.rounds} rounds x ${s.roundMs} ms, interleaved`,
      throughputTable(Object.values(d)),
    ].join('\n');
  },

  json: (d) => Object.entries(d).map(([key, t]) => ({ key: `perId.${key}`, ...t })),
};

async function measure(
  { concurrency, roundMs, rounds: roundCount, warmupMs }: BenchSettings['perId'],
  database: string,
  ids: IdGenerator,
  sink: Sink,
  progress: (line: string) => void,
): Promise<PerIdResult> {
  const bench = new PerIdDatabaseBench(database, concurrency);
  try {
    await bench.init();
    const nextId32 = nextIdConcurrentCase(ids, MAIN_TAGS.nextId32, concurrency, sink);
    const floor32 = floorConcurrentCase(concurrency, sink);
    progress(
      `per-ID database: ${concurrency} concurrent, ${roundCount} rounds x ${roundMs} ms per method, round-robin`,
    );
    collectGarbage();
    const batch = await warmUp(nextId32, warmupMs);
    const floorBatch = await warmUp(floor32, warmupMs);
    for (const method of PER_ID_METHODS) await bench.timeRound(method, warmupMs);
    const before = tagSnapshots(ids);
    const rounds: Record<PerIdKey, number[]> = { nextId32: [], floor32: [], updatePerId: [], insertPerId: [] };
    for (let round = 0; round < roundCount; round++) {
      collectGarbage();
      rounds.nextId32.push((await timeRound(nextId32, batch, roundMs)).idsPerSec);
      collectGarbage();
      rounds.floor32.push((await timeRound(floor32, floorBatch, roundMs)).idsPerSec);
      for (const method of PER_ID_METHODS) rounds[method.key].push(await bench.timeRound(method, roundMs));
    }
    const after = tagSnapshots(ids);
    const result = (name: string, key: PerIdKey, extra: Partial<ThroughputResult> = {}): ThroughputResult => ({
      name,
      idsPerSec: median(rounds[key]),
      roundsIdsPerSec: rounds[key],
      batch: 1,
      ...extra,
    });
    return {
      nextId32: result(nextId32.name, 'nextId32', {
        batch,
        leaf: activity(MAIN_TAGS.nextId32, before.get(MAIN_TAGS.nextId32), after.get(MAIN_TAGS.nextId32)),
      }),
      floor32: result(floor32.name, 'floor32', { batch: floorBatch }),
      updatePerId: result(`${PER_ID_METHODS[0].name}, ${concurrency} connections`, 'updatePerId'),
      insertPerId: result(`${PER_ID_METHODS[1].name}, ${concurrency} connections`, 'insertPerId'),
    };
  } finally {
    await bench.close();
  }
}
