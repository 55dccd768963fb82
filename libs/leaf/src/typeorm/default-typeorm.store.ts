import type { ModuleRef } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { InvalidLeafOptionsError } from '../errors/invalid-leaf-options.error.js';
import type { LeafAllocRow, LeafStore, NewLeafAllocRow, NewTagRow, ReservedRange } from '../store/leaf-store.js';
import type { FenceOutcome, FenceSkips } from '../store/leaf-store.js';
import { serverTimeoutFor } from '../sql/server-bound.js';
import { TypeOrmLeafStore } from './typeorm-leaf.store.js';

/**
 * The store of a `LeafModule` given none: `leaf_alloc` in the application's TypeORM DataSource (the default one,
 * or the one the `dataSource` extra names), through `TypeOrmLeafStore`.
 *
 * TypeORM is an optional peer, so nothing of it is imported up front: the DataSource is found on the first call,
 * which the generator makes at startup, once every provider of the application is built (the DataSource's factory
 * has connected by then). An application without `@nestjs/typeorm` gets `InvalidLeafOptionsError` naming the
 * `store` option, as does one whose DataSource is missing.
 */
export class DefaultTypeOrmStore implements LeafStore {
  private found: Promise<TypeOrmLeafStore> | undefined;
  private store: TypeOrmLeafStore | undefined;

  constructor(
    private readonly moduleRef: ModuleRef,
    /** The DataSource's name; undefined for the default one. */
    private readonly dataSource: string | undefined,
    /** The generator's `reservationTimeoutMs`: the server gives up a little before it. */
    private readonly reservationTimeoutMs: number,
  ) {}

  get engine(): string {
    return this.store?.engine ?? 'typeorm';
  }

  get location(): string {
    return (
      this.store?.location ?? `leaf_alloc in the TypeORM DataSource${this.dataSource ? ` "${this.dataSource}"` : ''}`
    );
  }

  async listTags(signal?: AbortSignal): Promise<LeafAllocRow[]> {
    return (await this.resolve()).listTags(signal);
  }

  async findTag(bizTag: string, signal?: AbortSignal): Promise<LeafAllocRow | undefined> {
    return (await this.resolve()).findTag(bizTag, signal);
  }

  async createTags(tags: readonly NewTagRow[], signal?: AbortSignal): Promise<void> {
    return (await this.resolve()).createTags(tags, signal);
  }

  async reserve(bizTag: string, step: number, signal?: AbortSignal): Promise<ReservedRange> {
    return (await this.resolve()).reserve(bizTag, step, signal);
  }

  async giveBack(bizTag: string, firstUnused: bigint, end: bigint, signal?: AbortSignal): Promise<boolean> {
    return (await this.resolve()).giveBack(bizTag, firstUnused, end, signal);
  }

  async insertTag(row: NewLeafAllocRow, signal?: AbortSignal): Promise<boolean> {
    return (await this.resolve()).insertTag(row, signal);
  }

  async setStep(bizTag: string, step: number, signal?: AbortSignal): Promise<boolean> {
    return (await this.resolve()).setStep(bizTag, step, signal);
  }

  /** The DataSource's store's fence (PostgreSQL, MySQL/MariaDB); on SQLite it throws `LeafStoreError`. */
  async fence(skips: FenceSkips, signal?: AbortSignal): Promise<FenceOutcome> {
    return (await this.resolve()).fence(skips, signal);
  }

  private resolve(): Promise<TypeOrmLeafStore> {
    this.found ??= this.find().then((store) => (this.store = store));
    return this.found;
  }

  private async find(): Promise<TypeOrmLeafStore> {
    let tokenOf: (name?: string) => unknown;
    try {
      ({ getDataSourceToken: tokenOf } = await import('@nestjs/typeorm'));
    } catch (error) {
      throw InvalidLeafOptionsError.noTypeOrm(error);
    }
    let dataSource: DataSource;
    try {
      dataSource = this.moduleRef.get<DataSource>(tokenOf(this.dataSource) as string, { strict: false });
    } catch {
      throw InvalidLeafOptionsError.noStore(this.dataSource);
    }
    // The server gives up a little before the client does, so an abandoned UPDATE is rolled back, never applied late.
    return new TypeOrmLeafStore(dataSource, { serverTimeoutMs: serverTimeoutFor(this.reservationTimeoutMs) });
  }
}
