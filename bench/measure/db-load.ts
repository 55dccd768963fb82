import type { ReservationTrigger } from 'nest-leaf';
import { startLeafApp, tagSnapshot } from '../../harness/leaf-app.js';
import { now, yieldToEventLoop } from '../support/timing.js';

export interface DbLoadSettings {
  /** IDs to issue. */
  readonly ids: number;
  /** The row's step: the size of every segment without dynamic step, the floor with it. */
  readonly step: number;
}

export interface DbLoadResult {
  readonly dynamicStep: boolean;
  readonly ids: number;
  readonly step: number;
  /** Reservations from boot until the last ID was issued, the startup one and any prefetch already started included. */
  readonly reservations: number;
  readonly byTrigger: Readonly<Record<ReservationTrigger, number>>;
  /** ceil(ids / step): the reservations a fixed step needs. */
  readonly fixedStepReservations: number;
  readonly ratio: number;
  readonly stepAtEnd: number;
  readonly waits: number;
  readonly ms: number;
}

/** Calls between turns of the event loop, so background reservations can land as they would in a server. */
const CALLS_PER_TURN = 1000;

/**
 * How often the database is touched to issue `ids` IDs on one fresh tag, with and without the dynamic step:
 * `await nextId` in a loop as fast as it goes, yielding to the event loop every CALLS_PER_TURN calls.
 */
export async function runDbLoad(database: string, settings: DbLoadSettings): Promise<DbLoadResult[]> {
  const results: DbLoadResult[] = [];
  for (const dynamicStep of [true, false]) {
    const tag = dynamicStep ? 'load_dynamic' : 'load_fixed';
    const leaf = await startLeafApp(database, { bizTags: [tag], step: settings.step, dynamicStep });
    try {
      const { ids } = leaf;
      const start = now();
      let last = 0n;
      for (let issued = 0; issued < settings.ids;) {
        const n = Math.min(CALLS_PER_TURN, settings.ids - issued);
        for (let i = 0; i < n; i++) {
          const id = await ids.nextId(tag);
          if (id <= last) throw new Error(`${tag}: ${id} after ${last}`);
          last = id;
        }
        issued += n;
        await yieldToEventLoop();
      }
      const ms = now() - start;
      const s = tagSnapshot(ids, tag);
      const fixedStepReservations = Math.ceil(settings.ids / settings.step);
      results.push({
        dynamicStep,
        ids: settings.ids,
        step: settings.step,
        reservations: s.reservations + (s.loading ? 1 : 0),
        byTrigger: s.reservationsByTrigger,
        fixedStepReservations,
        ratio: (s.reservations + (s.loading ? 1 : 0)) / fixedStepReservations,
        stepAtEnd: s.step,
        waits: s.waits,
        ms,
      });
    } finally {
      await leaf.close();
    }
  }
  return results;
}
