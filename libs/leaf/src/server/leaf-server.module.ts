import { Module, type DynamicModule } from '@nestjs/common';
import { ClientTokens } from './client-tokens.js';
import { LEAF_SERVER_OPTIONS } from './leaf-server.constants.js';
import { ExactTags } from './exact-tags.js';
import { HandedRanges } from './handed-ranges.js';
import { LeafServerContext } from './leaf-server.context.js';
import {
  ConfigurableLeafServerModule,
  LEAF_SERVER_MODULE_OPTIONS,
  LEAF_SERVER_OPTIONS_TYPE,
} from './leaf-server.module-definition.js';
import {
  resolveLeafServerOptions,
  type LeafServerOptions,
  type ResolvedLeafServerOptions,
} from './leaf-server.options.js';
import { InspectController } from './inspect.controller.js';
import { LeafRouteController, ReserveController } from './segment.controller.js';
import { ServerAuthGuard } from './server-auth.guard.js';
import { StoreController } from './store.controller.js';
import { UnknownTags } from './unknown-tags.js';

/**
 * nest-leaf as a central ID service: Meituan Leaf's `GET /api/segment/get/:key` for Leaf's clients and other
 * languages, and segment reservation plus the rest of `LeafStore` over HTTP for `HttpLeafStore` (`nest-leaf/http`),
 * so a hundred services cost the database one client: this server. Every route but Leaf's GET needs a bearer token.
 *
 * Import it next to `LeafModule`, whose `IdGenerator` and store it serves; it works on Express and Fastify alike.
 *
 * ```ts
 * @Module({
 *   imports: [
 *     TypeOrmModule.forRoot({ ... }),
 *     LeafModule.forRoot({ bizTags: ['order', 'invoice'] }),
 *     LeafServerModule.forRoot({
 *       clients: [
 *         { name: 'billing', token: process.env.BILLING_TOKEN, tags: ['invoice'] },
 *         { name: 'ops', token: process.env.OPS_TOKEN, tags: '*', admin: true },
 *       ],
 *     }),
 *   ],
 * })
 * ```
 * `forRootAsync({ imports, inject, useFactory })` takes the same options from a factory (such as `ConfigService`).
 */
@Module({
  controllers: [LeafRouteController, ReserveController, StoreController, InspectController],
  providers: [
    LeafServerContext,
    ServerAuthGuard,
    {
      provide: LEAF_SERVER_OPTIONS,
      useFactory: (options: LeafServerOptions) => resolveLeafServerOptions(options),
      inject: [LEAF_SERVER_MODULE_OPTIONS],
    },
    {
      provide: ClientTokens,
      useFactory: (options: ResolvedLeafServerOptions) => new ClientTokens(options.clients),
      inject: [LEAF_SERVER_OPTIONS],
    },
    {
      provide: UnknownTags,
      useFactory: (options: ResolvedLeafServerOptions) =>
        new UnknownTags({ cacheMs: options.unknownTagCacheMs, perMinute: options.maxUnknownTagsPerMinute }),
      inject: [LEAF_SERVER_OPTIONS],
    },
    {
      provide: ExactTags,
      useFactory: (ctx: LeafServerContext, unknownTags: UnknownTags) => new ExactTags(ctx, unknownTags),
      inject: [LeafServerContext, UnknownTags],
    },
    { provide: HandedRanges, useFactory: () => new HandedRanges() },
  ],
})
export class LeafServerModule extends ConfigurableLeafServerModule {
  /**
   * Options given inline are checked here, so a mistake (a missing or short token) fails before anything starts.
   * @throws InvalidLeafServerOptionsError naming the first option it cannot use (never showing a token)
   */
  static override forRoot(options: typeof LEAF_SERVER_OPTIONS_TYPE): DynamicModule {
    resolveLeafServerOptions(options);
    return super.forRoot(options);
  }
}
