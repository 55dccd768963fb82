import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { TerminusModule } from '@nestjs/terminus';
import { IdGenerator } from '../id-generator.js';
import type { LeafTagFigures, LeafTagSnapshot } from '../segment/segment.types.js';
import { withHealth } from '../segment/tag-health.js';
import { LeafHealthIndicator } from './leaf.health.js';

/** A snapshot of the figures given, its health judged as the generator's own are (`withHealth`). */
function snapshot(tag: string, overrides: Partial<LeafTagFigures> = {}): LeafTagSnapshot {
  return withHealth({
    tag,
    row: tag,
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
    lastReservationLatencyMs: 1.5,
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
    ...overrides,
  });
}

async function indicatorFor(snapshots: LeafTagSnapshot[], isRunning = true): Promise<LeafHealthIndicator> {
  const moduleRef = await Test.createTestingModule({
    imports: [TerminusModule],
    providers: [LeafHealthIndicator, { provide: IdGenerator, useValue: { inspect: () => snapshots, isRunning } }],
  }).compile();
  return moduleRef.get(LeafHealthIndicator);
}

const failing = {
  lastReservationOk: false,
  consecutiveFailures: 3,
  errors: 3,
  lastError: { message: 'connect ECONNREFUSED 127.0.0.1:3306', at: new Date(0) },
};

describe('LeafHealthIndicator', () => {
  it('is up when every configured tag has IDs and its last reservation succeeded', async () => {
    const indicator = await indicatorFor([snapshot('order'), snapshot('user', { available: 2000n, nextReady: true })]);

    const result = indicator.isHealthy();

    expect(result.leaf.status).toBe('up');
    expect(result.leaf.running).toBe(true);
    expect(result.leaf.tags).toEqual({
      order: {
        status: 'up',
        reason: 'serving from memory',
        configured: true,
        available: '990',
        nextReady: false,
        lastReservationOk: true,
        consecutiveFailures: 0,
        lastError: null,
        runwayMs: null,
        runwayTargetMs: 60_000,
      },
      user: expect.objectContaining({ status: 'up', available: '2000', nextReady: true }),
    });
  });

  it('uses the key it is given', async () => {
    const indicator = await indicatorFor([snapshot('order')]);

    const result = indicator.isHealthy('ids');

    expect(Object.keys(result)).toEqual(['ids']);
    expect(result.ids.status).toBe('up');
  });

  it('keeps bigints exact as strings, beyond 2^53', async () => {
    const indicator = await indicatorFor([snapshot('order', { available: 9_007_199_254_740_993n })]);

    expect(indicator.isHealthy().leaf.tags.order.available).toBe('9007199254740993');
  });

  it('is degraded when a tag still has IDs but reserving its next segment fails', async () => {
    const indicator = await indicatorFor([
      snapshot('order'),
      snapshot('user', { available: 12n, ...failing, runwayMs: 6000 }),
    ]);

    const result = indicator.isHealthy();

    expect(result.leaf.status).toBe('degraded');
    expect(result.leaf.tags.order.status).toBe('up');
    expect(result.leaf.tags.user).toEqual({
      status: 'degraded',
      reason: 'reservations failing, runway short',
      configured: true,
      available: '12',
      nextReady: false,
      lastReservationOk: false,
      consecutiveFailures: 3,
      lastError: 'connect ECONNREFUSED 127.0.0.1:3306',
      runwayMs: 6000,
      runwayTargetMs: 60_000,
    });
  });

  it('stays up while reservations fail if the tag still holds its whole runway, and says how long is left', async () => {
    const indicator = await indicatorFor([snapshot('order', { ...failing, available: 200_000n, runwayMs: 75_000 })]);

    const result = indicator.isHealthy();

    expect(result.leaf.status).toBe('up');
    expect(result.leaf.tags.order).toMatchObject({
      status: 'up',
      reason: 'reservations failing, runway held',
      lastReservationOk: false,
      runwayMs: 75_000,
    });
  });

  it('is down when a configured tag has no ID left', async () => {
    const indicator = await indicatorFor([
      snapshot('order', { available: 0n, remaining: 0n, ...failing }),
      snapshot('user', { available: 5n, ...failing }),
    ]);

    const result = indicator.isHealthy();

    expect(result.leaf.status).toBe('down');
    expect(result.leaf.tags.order.status).toBe('down');
    expect(result.leaf.tags.user.status).toBe('degraded');
  });

  it('is down when a tag has used up its IDs even though no reservation failed yet', async () => {
    const indicator = await indicatorFor([snapshot('order', { available: 0n, remaining: 0n, loading: true })]);

    expect(indicator.isHealthy().leaf.status).toBe('down');
  });

  it('is up again once a reservation succeeds after failures, without the error of the past', async () => {
    const indicator = await indicatorFor([
      snapshot('order', { errors: 4, lastError: { message: 'connect ECONNREFUSED 127.0.0.1:3306', at: new Date(0) } }),
    ]);

    const result = indicator.isHealthy();

    expect(result.leaf.status).toBe('up');
    expect(result.leaf.tags.order).toEqual(
      expect.objectContaining({ status: 'up', lastReservationOk: true, lastError: null }),
    );
  });

  it('is down when the generator is not running, whatever the tags say', async () => {
    const indicator = await indicatorFor([snapshot('order')], false);

    const result = indicator.isHealthy();

    expect(result.leaf.status).toBe('down');
    expect(result.leaf.running).toBe(false);
    expect(result.leaf.message).toMatch(/not running/);
  });

  it('lists tags discovered on first use but lets only configured tags decide', async () => {
    const indicator = await indicatorFor([
      snapshot('order'),
      snapshot('legacy', { configured: false, available: 0n, remaining: 0n, ...failing }),
    ]);

    const result = indicator.isHealthy();

    expect(result.leaf.status).toBe('up');
    expect(result.leaf.tags.legacy).toEqual(expect.objectContaining({ status: 'down', configured: false }));
  });
});
