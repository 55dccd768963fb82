import {
  Body,
  Controller,
  Get,
  Head,
  Header,
  Headers,
  HttpCode,
  Inject,
  Logger,
  Param,
  Post,
  Query,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { LEAF_API_PREFIX, LEAF_ROUTES, type ReservedRangeBody } from '../protocol/leaf-protocol.js';
import { Fencer } from '../segment/fencer.js';
import { ExactTags } from './exact-tags.js';
import { HandedRanges } from './handed-ranges.js';
import { LeafServerContext } from './leaf-server.context.js';
import { bizTagOf, bodyOf, countOf, stepOf } from './request-body.js';
import { Access, Caller, ServerAuthGuard, type LeafServerCaller } from './server-auth.guard.js';
import { LeafJsonErrorFilter, LeafTextErrorFilter } from './server-error.filter.js';
import { UnknownTags } from './unknown-tags.js';

const logger = new Logger('Leaf');

/**
 * Meituan Leaf's route, answered as Leaf's server answers it, so a Leaf client switches with no change: the ID as
 * `text/plain`, from the generator's memory (the dual buffer). Never cached by a proxy (`no-store`): every GET
 * spends an ID, which a cache would hand out twice. Errors are one `text/plain` line, `<code>: <message>`.
 */
@Controller(LEAF_API_PREFIX)
@UseGuards(ServerAuthGuard)
@UseFilters(LeafTextErrorFilter)
export class LeafRouteController {
  constructor(
    @Inject(LeafServerContext) private readonly ctx: LeafServerContext,
    @Inject(UnknownTags) private readonly unknownTags: UnknownTags,
    @Inject(ExactTags) private readonly exact: ExactTags,
  ) {}

  /**
   * `HEAD /api/segment/get/:key`: checks the route, the token and that the tag has a row of exactly that name,
   * spending nothing. Declared before the GET: Express and Fastify would otherwise answer HEAD by running the GET
   * handler, which takes an ID and drops it.
   */
  @Head(LEAF_ROUTES.leafGet.path)
  @Access('leaf-get')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async head(@Param('key') key: string, @Caller() caller: LeafServerCaller): Promise<void> {
    await this.exact.check(caller.label, bizTagOf(key));
  }

  /** `GET /api/segment/get/:key`: the next ID; with `?count=N`, N IDs one per line (1 to `maxBatchSize`). */
  @Get(LEAF_ROUTES.leafGet.path)
  @Access('leaf-get')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  async get(
    @Param('key') key: string,
    @Query('count') count: unknown,
    @Caller() caller: LeafServerCaller,
  ): Promise<string> {
    const bizTag = bizTagOf(key);
    if (count === undefined) {
      return String(await this.unknownTags.run(caller.label, bizTag, () => this.ctx.ids.nextId(bizTag)));
    }
    const n = countOf(count, this.ctx.options.maxBatchSize);
    const ids = await this.unknownTags.run(caller.label, bizTag, () => this.ctx.ids.nextIds(bizTag, n));
    return ids.join('\n');
  }
}

/**
 * `POST /api/segment/reserve/:key` with `{ "step": N }`: a contiguous range `[start, end)` reserved for the caller
 * straight from the store (one `reserve`, under `reservationTimeoutMs`), never from the server's own segments: the
 * caller keeps it in its own memory, as `HttpLeafStore` does, and the server's buffers stay its own callers'. The tag
 * is looked up exactly first (`ExactTags`), and the range remembered as the client's (`HandedRanges`), the only one
 * it may give back.
 */
@Controller(LEAF_API_PREFIX)
@UseGuards(ServerAuthGuard)
@UseFilters(LeafJsonErrorFilter)
export class ReserveController {
  constructor(
    @Inject(LeafServerContext) private readonly ctx: LeafServerContext,
    @Inject(ExactTags) private readonly exact: ExactTags,
    @Inject(HandedRanges) private readonly handed: HandedRanges,
  ) {}

  @Post(LEAF_ROUTES.reserve.path)
  @Access('tag')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async reserve(
    @Param('key') key: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Caller() caller: LeafServerCaller,
  ): Promise<ReservedRangeBody> {
    const bizTag = bizTagOf(key);
    const step = stepOf(
      bodyOf(body, '{ "step": N }', contentType ?? null).step,
      this.ctx.options.maxStep,
      ' (maxStep)',
    );
    await this.exact.check(caller.label, bizTag);
    const range = await this.exact.guarded(bizTag, () =>
      // A failover fence, should the store ask for one, is the server's to run: its clients only reserve.
      Fencer.of(this.ctx.store, this.ctx.options, logger).reserving(() =>
        this.ctx.call(`Reserving ${step} IDs of "${bizTag}" for ${caller.label}`, (signal) =>
          this.ctx.store.reserve(bizTag, step, signal),
        ),
      ),
    );
    this.handed.handed(caller.client!.name, bizTag, range);
    return { start: String(range.start), end: String(range.end) };
  }
}
