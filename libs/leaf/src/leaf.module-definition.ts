import { ConfigurableModuleBuilder, type DynamicModule } from '@nestjs/common';
import { ModuleRef, ModulesContainer } from '@nestjs/core';
import { InvalidLeafOptionsError } from './errors/invalid-leaf-options.error.js';
import { IdGenerator } from './id-generator.js';
import { LEAF_OPTIONS, LEAF_STORE } from './leaf.constants.js';
import { LeafAdmin } from './leaf.admin.js';
import { LeafIdsBinding } from './leaf-ids.js';
import type { ResolvedLeafOptions } from './leaf.defaults.js';
import { resolveLeafOptions, type LeafModuleExtras, type LeafModuleOptions } from './leaf.options.js';
import type { LeafStore } from './store/leaf-store.js';
import { DefaultTypeOrmStore } from './typeorm/default-typeorm.store.js';
import { LeafIdRegistration } from './typeorm/leaf-id.registration.js';

/** The provider that checks the application has one `LeafModule.forRoot`. */
const ONE_GENERATOR = Symbol('nest-leaf:one-generator');

export const {
  ConfigurableModuleClass: ConfigurableLeafModule,
  MODULE_OPTIONS_TOKEN: LEAF_MODULE_OPTIONS,
  OPTIONS_TYPE: LEAF_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: LEAF_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<LeafModuleOptions>({ moduleName: 'Leaf' })
  .setClassMethodName('forRoot')
  .setExtras<LeafModuleExtras>({ isGlobal: true, dataSource: undefined }, withLeafProviders)
  .build();

/**
 * The part of the module that depends on the extras: the store, and global registration.
 *
 * The module imports nothing of TypeORM, an optional peer: an app whose `store` is its own needs no TypeORM module,
 * DataSource or entity, nor the packages. Without a `store`, `DefaultTypeOrmStore` finds the app's DataSource when
 * the generator starts.
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
        useFactory: (options: LeafModuleOptions, resolved: ResolvedLeafOptions, moduleRef: ModuleRef) =>
          leafStore(options, resolved, extras.dataSource, moduleRef),
        inject: [LEAF_MODULE_OPTIONS, LEAF_OPTIONS, ModuleRef],
      },
      {
        // One generator per application: a second forRoot would hand out the same tags from another memory.
        provide: ONE_GENERATOR,
        useFactory: (modules: ModulesContainer) => {
          const roots = [...modules.values()].filter((module) => module.providers.has(LEAF_OPTIONS));
          if (roots.length > 1) throw InvalidLeafOptionsError.secondForRoot();
          return true;
        },
        inject: [ModulesContainer],
      },
      {
        // @LeafId keys: a subscriber on each DataSource with such an entity (nothing when there is none).
        provide: LeafIdRegistration,
        useFactory: (modules: ModulesContainer, ids: IdGenerator, resolved: ResolvedLeafOptions) =>
          new LeafIdRegistration(modules, ids, resolved.maxBatchSize),
        inject: [ModulesContainer, IdGenerator, LEAF_OPTIONS],
      },
      { provide: LeafIdsBinding, useFactory: (ids: IdGenerator) => new LeafIdsBinding(ids), inject: [IdGenerator] },
      IdGenerator,
      LeafAdmin,
    ],
    // As throttler exports its storage: the store and the options can be injected, and overridden in a test.
    exports: [...(definition.exports ?? []), IdGenerator, LeafAdmin, LEAF_STORE, LEAF_OPTIONS],
  };
}

/** The `store` option, else `leaf_alloc` in the TypeORM DataSource named by the `dataSource` extra. */
function leafStore(
  options: LeafModuleOptions,
  resolved: ResolvedLeafOptions,
  dataSource: string | undefined,
  moduleRef: ModuleRef,
): LeafStore {
  if (options.store !== undefined) {
    // forRootAsync: the extras are not among the factory's options, so resolveLeafOptions could not see both.
    if (dataSource !== undefined) throw InvalidLeafOptionsError.storeWithDataSource(dataSource);
    return options.store;
  }
  return new DefaultTypeOrmStore(moduleRef, dataSource, resolved.reservationTimeoutMs);
}
