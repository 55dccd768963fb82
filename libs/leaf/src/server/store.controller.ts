import {
  Body,
  Controller,
  Get,
  Header,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import {
  LEAF_API_PREFIX,
  LEAF_ROUTES,
  type CreatedBody,
  type GivenBackBody,
  type InsertedBody,
  type TagListBody,
  type TagRowBody,
  type UpdatedBody,
} from '../protocol/leaf-protocol.js';
import { ExactTags } from './exact-tags.js';
import { HandedRanges } from './handed-ranges.js';
import { LeafServerContext } from './leaf-server.context.js';
import { bizTagOf, bodyOf, createRowsOf, idOf, newRowOf, rowStepOf } from './request-body.js';
import { Access, Caller, ServerAuthGuard, type LeafServerCaller } from './server-auth.guard.js';
import { LeafJsonErrorFilter } from './server-error.filter.js';
import { LeafServerHttpError } from './server-errors.js';
import { UnknownTags } from './unknown-tags.js';

/**
 * The rest of `LeafStore` over HTTP, so that `HttpLeafStore` on a client is a whole store: its generator boots,
 * discovers tags, gives tails back, and `LeafAdmin` works, with no database credentials on the client. Every call
 * runs on the server's store under `reservationTimeoutMs`; rows are JSON, IDs decimal strings.
 *
 * | route | store method | who |
 * | --- | --- | --- |
 * | `GET /api/segment/tags` → `{ rows: [{ bizTag, step }] }` | `listTags` (the client's tags only) | any client |
 * | `GET /api/segment/tags/:key` → `{ bizTag, step }` or 404 | `findTag` | the tag's clients |
 * | `POST /api/segment/tags` `{ rows: [{ tag, step, description? }] }` | `createTags` | admin (¹) |
 * | `POST /api/segment/tags/:key` `{ maxId, step, description? }` → `{ inserted }` | `insertTag` | admin |
 * | `PUT /api/segment/tags/:key/step` `{ step }` → `{ updated }` | `setStep` | admin |
 * | `POST /api/segment/give-back/:key` `{ firstUnused, end }` → `{ givenBack }` | `giveBack` | the client handed it (²) |
 *
 * (¹) Or a client creating the rows of its own period tags for the current or next period, with the step the
 * server configures (`TagAccess.creationProblem`): its generator creates each period's row on demand.
 * (²) Only the unused rest of a range this server reserved for that client, once (`HandedRanges`).
 */
@Controller(LEAF_API_PREFIX)
@UseGuards(ServerAuthGuard)
@UseFilters(LeafJsonErrorFilter)
export class StoreController {
  constructor(
    @Inject(LeafServerContext) private readonly ctx: LeafServerContext,
    @Inject(UnknownTags) private readonly unknownTags: UnknownTags,
    @Inject(ExactTags) private readonly exact: ExactTags,
    @Inject(HandedRanges) private readonly handed: HandedRanges,
  ) {}

  @Get(LEAF_ROUTES.listTags.path)
  @Access('client')
  @Header('Cache-Control', 'no-store')
  async listTags(@Caller() caller: LeafServerCaller): Promise<TagListBody> {
    const rows = await this.ctx.call(`Listing tags for ${caller.label}`, (signal) => this.ctx.store.listTags(signal));
    // A client sees the rows it may use: the names of other services' tags are theirs.
    const tags = caller.client === null ? new Set<string>() : caller.client.tags;
    const reached = rows.filter((row) => this.ctx.access.allows(tags, row.bizTag));
    return { rows: reached.map(({ bizTag, step }) => ({ bizTag, step })) };
  }

  @Get(LEAF_ROUTES.findTag.path)
  @Access('tag')
  @Header('Cache-Control', 'no-store')
  async findTag(@Param('key') key: string, @Caller() caller: LeafServerCaller): Promise<TagRowBody> {
    const row = await this.exact.row(caller.label, bizTagOf(key));
    return { bizTag: row.bizTag, step: row.step };
  }

  @Post(LEAF_ROUTES.createTags.path)
  @Access('client')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async createTags(
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Caller() caller: LeafServerCaller,
  ): Promise<CreatedBody> {
    const rows = createRowsOf(body, contentType ?? null);
    const client = caller.client!;
    for (const { tag, step } of rows) {
      if (!this.ctx.access.allows(client.tags, tag)) {
        throw LeafServerHttpError.tagNotAllowed(client.name, tag);
      }
      const problem = client.admin ? undefined : this.ctx.access.creationProblem(client.tags, tag, step);
      if (problem !== undefined) {
        throw LeafServerHttpError.forbidden(
          `Client "${client.name}" is not an admin and may not create this row: ${problem}. Creating other rows ` +
            'needs a client with admin: true.',
        );
      }
    }
    await this.ctx.call(`Creating ${rows.length} tag(s) for ${caller.label}`, (signal) =>
      this.ctx.store.createTags(rows, signal),
    );
    for (const { tag } of rows) this.unknownTags.forget(tag);
    return { created: true };
  }

  @Post(LEAF_ROUTES.insertTag.path)
  @Access('admin')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async insertTag(
    @Param('key') key: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Caller() caller: LeafServerCaller,
  ): Promise<InsertedBody> {
    const row = newRowOf(bizTagOf(key), body, contentType ?? null);
    const inserted = await this.ctx.call(`Inserting "${row.bizTag}" for ${caller.label}`, (signal) =>
      this.ctx.store.insertTag(row, signal),
    );
    this.unknownTags.forget(row.bizTag);
    return { inserted };
  }

  @Put(LEAF_ROUTES.setStep.path)
  @Access('admin')
  @Header('Cache-Control', 'no-store')
  async setStep(
    @Param('key') key: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Caller() caller: LeafServerCaller,
  ): Promise<UpdatedBody> {
    const bizTag = bizTagOf(key);
    const step = rowStepOf(bodyOf(body, '{ "step": N }', contentType ?? null).step);
    try {
      await this.exact.check(caller.label, bizTag);
    } catch (error) {
      // No row of that name: nothing to update, as the store answers. A row of another spelling stays a 404.
      if (error instanceof UnknownBizTagError && error.similar === undefined) return { updated: false };
      throw error;
    }
    const updated = await this.ctx.call(`Setting the step of "${bizTag}" for ${caller.label}`, (signal) =>
      this.ctx.store.setStep(bizTag, step, signal),
    );
    return { updated };
  }

  @Post(LEAF_ROUTES.giveBack.path)
  @Access('tag')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async giveBack(
    @Param('key') key: string,
    @Body() body: unknown,
    @Headers('content-type') contentType: string | undefined,
    @Caller() caller: LeafServerCaller,
  ): Promise<GivenBackBody> {
    const bizTag = bizTagOf(key);
    const fields = bodyOf(body, '{ "firstUnused": "<decimal>", "end": "<decimal>" }', contentType ?? null);
    const firstUnused = idOf(fields.firstUnused, 'firstUnused');
    const end = idOf(fields.end, 'end');
    if (firstUnused === 0n) {
      throw LeafServerHttpError.badRequest('firstUnused must be at least 1: no range handed out starts below 1.');
    }
    if (firstUnused > end) throw LeafServerHttpError.badRequest(`firstUnused (${firstUnused}) is past end (${end}).`);
    // Before any store call: only the rest of a range this client was handed, once; then the store's compare-and-set.
    this.handed.take(caller.client!.name, bizTag, firstUnused, end);
    await this.exact.check(caller.label, bizTag);
    const givenBack = await this.ctx.call(`Giving back the tail of "${bizTag}" for ${caller.label}`, (signal) =>
      this.ctx.store.giveBack(bizTag, firstUnused, end, signal),
    );
    return { givenBack };
  }
}
