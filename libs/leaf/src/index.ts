export { LeafModule } from './leaf.module.js';
export { IdGenerator } from './id-generator.js';
export { OpaqueIdCodec } from './codes/opaque-id.codec.js';
export { LeafAdmin, type CreateBizTagOptions } from './leaf.admin.js';
export { LeafAlloc } from './store/leaf-alloc.entity.js';
export { LeafAllocMigration, createTableSql } from './store/leaf-alloc.migration.js';
export { TypeOrmLeafStore, type TypeOrmLeafStoreOptions } from './store/typeorm-leaf.store.js';
export { serverTimeoutFor } from './store/server-bound.js';
export { MAX_ID } from './store/leaf-store.js';
export type { LeafStore, LeafAllocRow, NewLeafAllocRow, ReservedRange } from './store/leaf-store.js';
export { MAX_BIZ_TAG_LENGTH } from './leaf.options.js';
export type { LeafModuleOptions, LeafBizTagOptions, LeafModuleExtras, ResolvedBizTag } from './leaf.options.js';
export { PERIODS, type LeafPeriod } from './period/calendar.js';
export type { ParsedLeafCode } from './period/tag-codes.js';
export type {
  LeafHealthReason,
  LeafHealthStatus,
  LeafTagHealthState,
  LeafTagSnapshot,
  ReservationEvent,
  ReservationTrigger,
} from './segment/segment.types.js';
export { LeafExceptionFilter, INTERNAL_ERROR_MESSAGE } from './leaf-exception.filter.js';
export { leafErrorAnswer, leafErrorStatus, type LeafErrorAnswer } from './protocol/leaf-error-answer.js';
export {
  LEAF_API_PREFIX,
  LEAF_ERROR_STATUS,
  LEAF_RETRY_AFTER_SECONDS,
  LEAF_ROUTES,
  leafRoutePath,
  type CreateTagsRequestBody,
  type GiveBackRequestBody,
  type InsertTagRequestBody,
  type LeafErrorBody,
  type LeafErrorCode,
  type LeafRouteName,
  type ReservedRangeBody,
  type ReserveRequestBody,
  type SetStepRequestBody,
  type TagListBody,
  type TagRowBody,
} from './protocol/leaf-protocol.js';
export * from './errors/index.js';
