import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ModulesContainer } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import type { LeafIdSource } from '../leaf-id-source.js';
import { anyLeafId, leafIdOf } from './leaf-id.registry.js';
import { LeafIdSubscriber } from './leaf-id.subscriber.js';

/**
 * What `LeafModule` does for `@LeafId`: at module init, puts one `LeafIdSubscriber` on every initialised TypeORM
 * DataSource of the app (default or named) that has a `@LeafId` entity, and takes it off at shutdown. An app with no
 * `@LeafId` entity is not looked at, and nothing of TypeORM is loaded.
 *
 * DataSources are found among the app's providers, so one built with `manualInitialization`, or outside Nest, is not
 * initialised yet or not seen: push a `LeafIdSubscriber` on it yourself after `initialize()`.
 */
export class LeafIdRegistration implements OnModuleInit, OnModuleDestroy {
  private readonly subscriber: LeafIdSubscriber;
  private readonly registered: DataSource[] = [];

  constructor(
    private readonly modules: ModulesContainer,
    ids: LeafIdSource,
    maxBatchSize: number,
  ) {
    this.subscriber = new LeafIdSubscriber(ids, maxBatchSize);
  }

  /** Runs once every provider is built: TypeOrmModule's factory has initialised its DataSource by then. */
  onModuleInit(): void {
    if (!anyLeafId()) return;
    for (const dataSource of this.dataSources()) {
      if (!dataSource.isInitialized || !dataSource.entityMetadatas.some((entity) => leafIdOf(entity.target))) continue;
      // TypeORM reads the list on every statement, so a subscriber pushed after initialize() takes part at once.
      dataSource.subscribers.push(this.subscriber);
      this.registered.push(dataSource);
    }
  }

  onModuleDestroy(): void {
    for (const dataSource of this.registered.splice(0)) {
      const at = dataSource.subscribers.indexOf(this.subscriber);
      if (at >= 0) dataSource.subscribers.splice(at, 1);
    }
  }

  private dataSources(): Set<DataSource> {
    const found = new Set<DataSource>();
    for (const module of this.modules.values()) {
      for (const wrapper of module.providers.values()) {
        if (isDataSource(wrapper.instance)) found.add(wrapper.instance);
      }
    }
    return found;
  }
}

/**
 * TypeORM's own test (`InstanceChecker.isDataSource`), made without loading TypeORM: each DataSource carries this
 * symbol, which also holds across two copies of the package.
 */
function isDataSource(value: unknown): value is DataSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { '@instanceof'?: unknown })['@instanceof'] === Symbol.for('DataSource')
  );
}
