import type { LeafTagFigures, LeafTagHealthState, LeafTagSnapshot } from './segment.types.js';

/**
 * The one rule of a tag's health (see `LeafHealthReason` for each case). Out of IDs is down, unless the tag never
 * held a segment and nothing failed yet (a period tag asleep in a new period, or a first reservation under way);
 * failing reservations are degraded only once what is left lasts less than the runway.
 */
export function tagHealth(figures: LeafTagFigures): LeafTagHealthState {
  const asleep = figures.period !== 'none' && figures.current === null && figures.waiting === 0;
  const firstSegment = figures.current === null && figures.loading && figures.lastReservationOk;
  if (figures.available <= 0n && !asleep && !firstSegment) return { status: 'down', reason: 'out of IDs' };
  if (!figures.lastReservationOk) {
    return holdsRunway(figures)
      ? { status: 'up', reason: 'reservations failing, runway held' }
      : { status: 'degraded', reason: 'reservations failing, runway short' };
  }
  if (asleep) return { status: 'up', reason: 'not used this period yet' };
  if (firstSegment) return { status: 'up', reason: 'reserving its first segment' };
  return { status: 'up', reason: 'serving from memory' };
}

/** The figures with their health: how every snapshot is completed, plain or periodic. */
export function withHealth(figures: LeafTagFigures): LeafTagSnapshot {
  return { ...figures, health: tagHealth(figures) };
}

/** Whether the tag still holds at least its runway (never for a tag without one, or before a rate is known). */
function holdsRunway({ runwayMs, runwayTargetMs }: LeafTagFigures): boolean {
  return runwayTargetMs > 0 && runwayMs !== null && runwayMs >= runwayTargetMs;
}
