import { describe, expect, it } from '@jest/globals';
import type { LeafTagFigures } from './segment.types.js';
import { tagHealth } from './tag-health.js';

/** A plain tag serving from its first segment: the figures each case changes. */
const SERVING: LeafTagFigures = {
  tag: 'order',
  row: 'order',
  period: 'none',
  configured: true,
  current: { start: 1n, end: 1001n },
  nextPosition: 11n,
  remaining: 990n,
  next: null,
  nextReady: false,
  available: 990n,
  loading: false,
  step: 1000,
  baseStep: 1000,
  idsIssued: 10,
  reservations: 1,
  reservationsByTrigger: { startup: 1, prefetch: 0, 'on-demand': 0 },
  lastReservationLatencyMs: 1,
  lastReservationAt: new Date(0),
  lastReservationOk: true,
  consecutiveFailures: 0,
  errors: 0,
  lastError: null,
  waits: 0,
  waiting: 0,
  runwayMs: null,
  runwayIds: 990n,
  runwayTargetMs: 60_000,
  failedCalls: 0,
};
const FAILING = { lastReservationOk: false, consecutiveFailures: 2, errors: 2 } as const;
const EMPTY = { available: 0n, remaining: 0n, runwayIds: 0n } as const;
const NEVER_HELD = { ...EMPTY, current: null, nextPosition: null } as const;

describe('tagHealth: the one rule of a tag health, read by /health, the metrics and the monitor', () => {
  it.each<[string, Partial<LeafTagFigures>, string, string]>([
    ['IDs in memory, the newest reservation ok', {}, 'up', 'serving from memory'],
    [
      'reservations fail, the runway is held',
      { ...FAILING, runwayMs: 75_000 },
      'up',
      'reservations failing, runway held',
    ],
    [
      'reservations fail, exactly the runway left',
      { ...FAILING, runwayMs: 60_000 },
      'up',
      'reservations failing, runway held',
    ],
    [
      'reservations fail, below the runway',
      { ...FAILING, runwayMs: 59_999 },
      'degraded',
      'reservations failing, runway short',
    ],
    [
      'reservations fail, no rate known yet',
      { ...FAILING, runwayMs: null },
      'degraded',
      'reservations failing, runway short',
    ],
    [
      'reservations fail, the tag keeps no runway',
      { ...FAILING, runwayMs: 9e9, runwayTargetMs: 0 },
      'degraded',
      'reservations failing, runway short',
    ],
    ['used up, its next reservation under way', { ...EMPTY, loading: true, waiting: 3 }, 'down', 'out of IDs'],
    ['used up while reservations fail', { ...EMPTY, ...FAILING, runwayMs: 0 }, 'down', 'out of IDs'],
    [
      'a tag found on first use, reserving',
      { ...NEVER_HELD, loading: true, waiting: 1, configured: false },
      'up',
      'reserving its first segment',
    ],
    [
      'a tag found on first use whose reservation failed',
      { ...NEVER_HELD, ...FAILING, waiting: 1 },
      'down',
      'out of IDs',
    ],
    ['a period tag not used in this period', { ...NEVER_HELD, period: 'day' }, 'up', 'not used this period yet'],
    [
      'a period tag reserving its period’s first segment',
      { ...NEVER_HELD, period: 'day', loading: true, waiting: 2 },
      'up',
      'reserving its first segment',
    ],
    [
      'a period tag asleep whose first reservation failed',
      { ...NEVER_HELD, ...FAILING, period: 'day' },
      'degraded',
      'reservations failing, runway short',
    ],
  ])('%s: %s', (_case, figures, status, reason) => {
    expect(tagHealth({ ...SERVING, ...figures })).toEqual({ status, reason });
  });
});
