/**
 * What a data layer's key hook needs of the generator: `IdGenerator` is one. Kept this narrow so the hooks of
 * `nest-leaf/typeorm` and `nest-leaf/prisma` stand below the generator, and a test can hand them a fake.
 */
export interface LeafIdSource {
  /** `count` unique, increasing IDs of `bizTag` (see `IdGenerator.nextIds`). */
  nextIds(bizTag: string, count: number): Promise<bigint[]>;
}

/** What a synchronous hook (a Kysely plugin) needs: `IdGenerator` is one. */
export interface LeafSyncIdSource {
  /** `count` IDs of `bizTag` from memory, all or none (see `IdGenerator.nextIdsSync`). */
  nextIdsSync(bizTag: string, count: number): bigint[];
}
