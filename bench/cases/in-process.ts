import type { IdGenerator } from 'nest-leaf';
import { tagSnapshots } from '../../harness/leaf-app.js';
import type { BenchCase } from '../case.js';
import {
  bigintArrayCase,
  bigintCounterCase,
  floorCase,
  nextCodeCase,
  nextIdCase,
  nextIdsCase,
  nextIdSyncCase,
  randomUuidCase,
  Sink,
  snowflakeCase,
} from '../measure/in-process.js';
import type { BenchSettings } from '../settings.js';
import { MAIN_TAGS, withMainApp } from '../support/main-app.js';
import { judge, perRound, type Goal, type Ratio } from '../support/ratio.js';
import { median } from '../support/stats.js';
import { activity, throughputTable, type ThroughputResult } from '../support/throughput.js';
import { collectGarbage, timeRound, warmUp, type ThroughputCase } from '../support/timing.js';

type InProcessKey =
  'floor' | 'bigint' | 'nextId' | 'nextIdSync' | 'nextCode' | 'nextIds' | 'bigintArray' | 'snowflake' | 'randomUuid';
export type InProcessResult = Partial<Record<InProcessKey, ThroughputResult>>;

/** 1. IDs from memory: nextId and nextIds against the floor of any Promise API and the usual alternatives. */
export const inProcess: BenchCase<InProcessResult> = {
  name: 'inProcess',

  run: ({ settings, progress, only }) =>
    withMainApp((ids) => measure(settings.inProcess, ids, new Sink(), progress, only)),

  ratios(p) {
    const ratios: Record<string, Ratio> = {};
    const pair = (key: string, name: string, a: InProcessKey, b: InProcessKey, goal?: Omit<Goal, 'met'>) => {
      const x = p[a];
      const y = p[b];
      if (x && y) ratios[key] = judge('inProcess', name, perRound(x.roundsIdsPerSec, y.roundsIdsPerSec), goal);
    };
    pair('nextIdVsFloor', 'nextId / floor', 'nextId', 'floor', { atLeast: 0.7 });
    pair('nextIdSyncVsBigintCounter', 'nextIdSync / bigint counter', 'nextIdSync', 'bigint');
    pair('nextIdVsSnowflake', 'nextId / snowflake', 'nextId', 'snowflake', { atLeast: 1.0 });
    pair('nextCodeVsNextId', "nextCode (daily 'INV-…') / nextId", 'nextCode', 'nextId');
    pair('nextIdsVsBigintCounter', 'nextIds / bigint counter', 'nextIds', 'bigint', { atLeast: 0.5 });
    pair('nextIdsVsBigintArray', 'nextIds / bigint array', 'nextIds', 'bigintArray');
    pair('nextIdVsRandomUuid', 'nextId / crypto.randomUUID()', 'nextId', 'randomUuid');
    return ratios;
  },

  table(p, { inProcess: s }) {
    return [
      `1. IDs from memory: median of ${s.rounds} rounds x ${s.roundMs} ms after ${s.warmupMs} ms warm-up, cases interleaved`,
      throughputTable(Object.values(p).filter((t) => t !== undefined)),
    ].join('\n');
  },

  json: (p) => Object.entries(p).map(([key, t]) => ({ key, ...t })),
};

async function measure(
  { warmupMs, roundMs, rounds: roundCount }: BenchSettings['inProcess'],
  ids: IdGenerator,
  sink: Sink,
  progress: (line: string) => void,
  only: ReadonlySet<string> | undefined,
): Promise<InProcessResult> {
  const cases: Record<InProcessKey, ThroughputCase> = {
    floor: floorCase(sink),
    bigint: bigintCounterCase(sink),
    nextId: nextIdCase(ids, MAIN_TAGS.nextId, sink),
    nextIdSync: nextIdSyncCase(ids, MAIN_TAGS.nextIdSync, sink),
    nextCode: nextCodeCase(ids, MAIN_TAGS.nextCode, sink),
    nextIds: nextIdsCase(ids, MAIN_TAGS.nextIds, sink),
    bigintArray: bigintArrayCase(sink),
    snowflake: snowflakeCase(sink),
    randomUuid: randomUuidCase(sink),
  };
  const order = (Object.keys(cases) as InProcessKey[]).filter((key) => only === undefined || only.has(key));
  if (order.length === 0)
    throw new Error(`--cases matched no in-process case; they are ${Object.keys(cases).join(', ')}`);
  const tags: Partial<Record<InProcessKey, string>> = {
    nextId: MAIN_TAGS.nextId,
    nextIdSync: MAIN_TAGS.nextIdSync,
    nextCode: MAIN_TAGS.nextCode,
    nextIds: MAIN_TAGS.nextIds,
  };

  progress(`in-process: warm-up ${warmupMs} ms, then ${roundCount} rounds x ${roundMs} ms per case, round-robin`);
  const batches = {} as Record<InProcessKey, number>;
  for (const key of order) {
    collectGarbage();
    batches[key] = await warmUp(cases[key], warmupMs);
  }
  const before = tagSnapshots(ids);
  const rounds = Object.fromEntries(order.map((key) => [key, [] as number[]])) as Record<InProcessKey, number[]>;
  for (let round = 0; round < roundCount; round++) {
    for (const key of order) {
      collectGarbage();
      rounds[key].push((await timeRound(cases[key], batches[key], roundMs)).idsPerSec);
    }
  }
  const after = tagSnapshots(ids);
  return Object.fromEntries(
    order.map((key) => {
      const tag = tags[key];
      const result: ThroughputResult = {
        name: cases[key].name,
        idsPerSec: median(rounds[key]),
        roundsIdsPerSec: rounds[key],
        batch: batches[key],
        ...(tag && { leaf: activity(tag, before.get(tag), after.get(tag)) }),
      };
      return [key, result];
    }),
  ) as InProcessResult;
}
