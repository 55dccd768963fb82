import { Controller, Get, Header, Inject, UseFilters, UseGuards } from '@nestjs/common';
import {
  LEAF_API_PREFIX,
  LEAF_ROUTES,
  type InspectBody,
  type InspectTagBody,
  type RangeBody,
} from '../protocol/leaf-protocol.js';
import type { LeafTagSnapshot } from '../segment/segment.types.js';
import { LeafServerContext } from './leaf-server.context.js';
import { Access, Caller, ServerAuthGuard, type LeafServerCaller } from './server-auth.guard.js';
import { LeafJsonErrorFilter } from './server-error.filter.js';

/**
 * `GET /api/segment/inspect` (admin): what this server's generator holds per tag, the segments and the figures of
 * `IdGenerator.inspect()`, for `npx nest-leaf inspect`. Read-only: it reserves nothing and calls no store. An admin
 * sees the tags its own `tags` reach, as `GET tags` shows a client its rows.
 */
@Controller(LEAF_API_PREFIX)
@UseGuards(ServerAuthGuard)
@UseFilters(LeafJsonErrorFilter)
export class InspectController {
  constructor(@Inject(LeafServerContext) private readonly ctx: LeafServerContext) {}

  @Get(LEAF_ROUTES.inspect.path)
  @Access('admin')
  @Header('Cache-Control', 'no-store')
  inspect(@Caller() caller: LeafServerCaller): InspectBody {
    const tags = caller.client!.tags;
    const reached = this.ctx.ids.inspect().filter((snapshot) => this.ctx.access.allows(tags, snapshot.tag));
    return { running: this.ctx.ids.isRunning, tags: reached.map(tagBody) };
  }
}

function tagBody(s: LeafTagSnapshot): InspectTagBody {
  return {
    tag: s.tag,
    row: s.row,
    period: s.period,
    configured: s.configured,
    current: rangeBody(s.current),
    nextPosition: s.nextPosition === null ? null : String(s.nextPosition),
    remaining: String(s.remaining),
    next: rangeBody(s.next),
    nextReady: s.nextReady,
    available: String(s.available),
    loading: s.loading,
    step: s.step,
    baseStep: s.baseStep,
    idsIssued: s.idsIssued,
    reservations: s.reservations,
    lastReservationAt: s.lastReservationAt?.toISOString() ?? null,
    lastReservationOk: s.lastReservationOk,
    consecutiveFailures: s.consecutiveFailures,
    lastError: s.lastError === null ? null : { message: s.lastError.message, at: s.lastError.at.toISOString() },
    runwayMs: s.runwayMs,
    runwayTargetMs: s.runwayTargetMs,
    health: { status: s.health.status, reason: s.health.reason },
  };
}

function rangeBody(range: { readonly start: bigint; readonly end: bigint } | null): RangeBody | null {
  return range === null ? null : { start: String(range.start), end: String(range.end) };
}
