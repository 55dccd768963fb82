import { ConfigurableModuleBuilder, type DynamicModule } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { InvalidLeafOptionsError } from './errors/invalid-leaf-options.error.js';
import { IdGenerator } from './id-generator.js';
import { LEAF_OPTIONS, LEAF_STORE } from './leaf.constants.js';
import { LeafAdmin } from './leaf.admin.js';
import {
  resolveLeafOptions,
  type LeafModuleExtras,
  type LeafModuleOptions,
  type ResolvedLeafOptions,
} from './leaf.options.js';
import type { LeafStore } from './store/leaf-store.js';
import { serverTimeoutFor } from './store/server-bound.js';
import { TypeOrmLeafStore } from './store/typeorm-leaf.store.js';

export const {
  ConfigurableModuleClass: ConfigurableLeafModule,
  MODULE_OPTIONS_TOKEN: LEAF_MODULE_OPTIONS,
  OPTIONS_TYPE: LEAF_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: LEAF_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<LeafModuleOptions>({ moduleName: 'Leaf' })
  .setClassMethodName('forRoot')
  .setExtras<LeafModuleExtras>({ isGlobal: false, dataSource: undefined }, withLeafProviders)
  .build();

/**
 * The part of the module that depends on the extras: the store, and global registration.
 *
 * The module imports nothing of TypeORM: an app whose `store` is its own needs no TypeORM module, DataSource or
 * entity. The DataSource of the default store is injected as an optional dependency, so that Nest still builds it
 * first when it exists (providers of all modules are built concurrently: looking it up through `ModuleRef` in the
 * factory could find it not built yet), and injects `undefined` when it does not.
 */
function withLeafProviders(definition: DynamicModule, extras: LeafModuleExtras): DynamicModule {
  return {
    ...definition,
    global: extras.isGlobal,
    providers: [
      ...(definition.providers ?? []),
      {
        provide: LEAF_OPTIONS,
        useFactory: (options: LeafModuleOptions) => resolveLeafOptions(options),
        inject: [LEAF_MODULE_OPTIONS],
      },
      {
        provide: LEAF_STORE,
        // LEAF_OPTIONS first: the options, `store` included, are validated before the store is used.
        useFactory: (options: LeafModuleOptions, resolved: ResolvedLeafOptions, dataSource?: DataSource) =>
          leafStore(options, resolved, extras.dataSource, dataSource),
        inject: [LEAF_MODULE_OPTIONS, LEAF_OPTIONS, { token: getDataSourceToken(extras.dataSource), optional: true }],
      },
      IdGenerator,
      LeafAdmin,
    ],
    exports: [...(definition.exports ?? []), IdGenerator, LeafAdmin],
  };
}

/** The `store` option, else `leaf_alloc` in the DataSource named by the `dataSource` extra. */
function leafStore(
  options: LeafModuleOptions,
  resolved: ResolvedLeafOptions,
  name: string | undefined,
  dataSource: DataSource | undefined,
): LeafStore {
  if (options.store !== undefined) {
    // forRootAsync: the extras are not among the factory's options, so resolveLeafOptions could not see both.
    if (name !== undefined) throw InvalidLeafOptionsError.storeWithDataSource(name);
    return options.store;
  }
  if (dataSource === undefined) throw InvalidLeafOptionsError.noStore(name);
  // The server gives up a little before the client does, so an abandoned UPDATE is rolled back, never applied late.
  return new TypeOrmLeafStore(dataSource, { serverTimeoutMs: serverTimeoutFor(resolved.reservationTimeoutMs) });
}
