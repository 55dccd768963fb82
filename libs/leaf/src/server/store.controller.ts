import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { LeafAllocRow } from '../store/leaf-store.js';
import { isOwnPeriodRow, tagAllowed } from './client-tokens.js';
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
 * | `POST /api/segment/give-back/:key` `{ firstUnused, end }` → `{ givenBack }` | `giveBack` | the tag's clients |
 *
 * (¹) Or a client creating rows of its own period tags (`invoice:20261201`), which its generator creates on demand.
 */
@Controller('api/segment')
@UseGuards(ServerAuthGuard)
@UseFilters(LeafJsonErrorFilter)
export class StoreController {
  constructor(
    @Inject(LeafServerContext) private readonly ctx: LeafServerContext,
    @Inject(UnknownTags) private readonly unknownTags: UnknownTags,
  ) {}

  @Get('tags')
  @Access('client')
  @Header('Cache-Control', 'no-store')
  async listTags(@Caller() caller: LeafServerCaller): Promise<{ rows: LeafAllocRow[] }> {
    const rows = await this.ctx.call(`Listing tags for ${caller.label}`, (signal) => this.ctx.store.listTags(signal));
    // A client sees the rows it may use: the names of other services' tags are theirs.
    const tags = caller.client === null ? new Set<string>() : caller.client.tags;
    return { rows: rows.filter((row) => tagAllowed(tags, row.bizTag)).map(({ bizTag, step }) => ({ bizTag, step })) };
  }

  @Get('tags/:key')
  @Access('tag')
  @Header('Cache-Control', 'no-store')
  async findTag(@Param('key') key: string, @Caller() caller: LeafServerCaller): Promise<LeafAllocRow> {
    const bizTag = bizTagOf(key);
    // Concurrent identical lookups share one statement, so a burst of a made-up name costs one before it is cached.
    const row = await this.unknownTags.run(
      caller.label,
      bizTag,
      () => this.lookUp(bizTag),
      (found) => found === undefined,
    );
    return { bizTag: row!.bizTag, step: row!.step };
  }

  @Post('tags')
  @Access('client')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async createTags(@Body() body: unknown, @Caller() caller: LeafServerCaller): Promise<{ created: true }> {
    const rows = createRowsOf(body);
    const client = caller.client!;
    for (const { tag } of rows) {
      if (!tagAllowed(client.tags, tag)) {
        throw LeafServerHttpError.forbidden(`Client "${client.name}" may not use the tag "${tag}".`);
      }
      if (!client.admin && !isOwnPeriodRow(client.tags, tag)) {
        throw LeafServerHttpError.forbidden(
          `Client "${client.name}" is not an admin: creating rows needs admin: true (a client may only create rows ` +
            `of its own period tags). Create "${tag}" through an admin client, or have the operator insert it.`,
        );
      }
    }
    await this.ctx.call(`Creating ${rows.length} tag(s) for ${caller.label}`, (signal) =>
      this.ctx.store.createTags(rows, signal),
    );
    for (const { tag } of rows) this.unknownTags.forget(tag);
    return { created: true };
  }

  @Post('tags/:key')
  @Access('admin')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async insertTag(
    @Param('key') key: string,
    @Body() body: unknown,
    @Caller() caller: LeafServerCaller,
  ): Promise<{ inserted: boolean }> {
    const row = newRowOf(bizTagOf(key), body);
    const inserted = await this.ctx.call(`Inserting "${row.bizTag}" for ${caller.label}`, (signal) =>
      this.ctx.store.insertTag(row, signal),
    );
    this.unknownTags.forget(row.bizTag);
    return { inserted };
  }

  @Put('tags/:key/step')
  @Access('admin')
  @Header('Cache-Control', 'no-store')
  async setStep(
    @Param('key') key: string,
    @Body() body: unknown,
    @Caller() caller: LeafServerCaller,
  ): Promise<{ updated: boolean }> {
    const bizTag = bizTagOf(key);
    const step = rowStepOf(bodyOf(body, '{ "step": N }').step);
    const updated = await this.ctx.call(`Setting the step of "${bizTag}" for ${caller.label}`, (signal) =>
      this.ctx.store.setStep(bizTag, step, signal),
    );
    return { updated };
  }

  @Post('give-back/:key')
  @Access('tag')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async giveBack(
    @Param('key') key: string,
    @Body() body: unknown,
    @Caller() caller: LeafServerCaller,
  ): Promise<{ givenBack: boolean }> {
    const bizTag = bizTagOf(key);
    const fields = bodyOf(body, '{ "firstUnused": "<decimal>", "end": "<decimal>" }');
    const firstUnused = idOf(fields.firstUnused, 'firstUnused');
    const end = idOf(fields.end, 'end');
    if (firstUnused > end) throw LeafServerHttpError.badRequest(`firstUnused (${firstUnused}) is past end (${end}).`);
    const givenBack = await this.ctx.call(`Giving back the tail of "${bizTag}" for ${caller.label}`, (signal) =>
      this.ctx.store.giveBack(bizTag, firstUnused, end, signal),
    );
    return { givenBack };
  }

  private readonly lookups = new Map<string, Promise<LeafAllocRow | undefined>>();

  private lookUp(bizTag: string): Promise<LeafAllocRow | undefined> {
    let lookup = this.lookups.get(bizTag);
    if (lookup === undefined) {
      lookup = this.ctx
        .call(`Looking up "${bizTag}"`, (signal) => this.ctx.store.findTag(bizTag, signal))
        .finally(() => this.lookups.delete(bizTag));
      this.lookups.set(bizTag, lookup);
    }
    return lookup;
  }
}
