export { LeafModule, LeafFeatureModule, type LeafFeatureOptions } from './leaf.module.js';
export { IdGenerator } from './id-generator.js';
export { LEAF_OPTIONS, LEAF_STORE } from './leaf.constants.js';
export { OpaqueIdCodec } from './codes/opaque-id.codec.js';
export { LeafAdmin, type CreateBizTagOptions } from './leaf.admin.js';
export { SqlLeafStore, type SqlLeafStoreOptions, type SqlStoreLayer } from './sql/sql-leaf.store.js';
export type { SqlEngine, SqlExecutor, SqlResult, SqlTransaction } from './sql/sql-executor.js';
export { pooledExecutor, type SqlPool } from './sql/pooled-executor.js';
export { sqliteExecutor } from './sql/sqlite-executor.js';
export { prismaGaplessExecutor } from './gapless/prisma-gapless.executor.js';
export type {
  GaplessCall,
  GaplessEngine,
  GaplessEntityManager,
  GaplessExecutor,
  GaplessManager,
  GaplessQueryResult,
} from './gapless/gapless-executor.js';
export {
  mysqlGaplessExecutor,
  pgGaplessExecutor,
  sqliteGaplessExecutor,
  type MysqlConnectionLike,
  type PgClientLike,
} from './gapless/driver-executors.js';
export type { GaplessAuditOptions, GaplessAuditReport, GaplessGap, GaplessRepeat } from './gapless/gapless-audit.js';
export { isGaplessRetryable } from './gapless/gapless-sql.js';
export {
  TypeOrmLeafStore,
  LeafAllocMigration,
  createTableSql,
  serverTimeoutFor,
  LeafGaplessMigration,
  createGaplessTableSql,
  type TypeOrmLeafStoreOptions,
} from './typeorm/root-exports.js';
export { MAX_ID } from './store/leaf-store.js';
export type {
  LeafStore,
  LeafAllocRow,
  NewLeafAllocRow,
  NewTagRow,
  ReservedRange,
  FenceSkips,
  FenceOutcome,
} from './store/leaf-store.js';
export { skipFor } from './store/fence-skips.js';
export { FENCE_MARKER } from './store/fence-marker.js';
export type { LeafModuleOptions, LeafModuleExtras } from './leaf.options.js';
export type { ParsedLeafCode } from './codes/tag-codes.js';
export type {
  LeafHealthReason,
  LeafHealthStatus,
  LeafTagHealthState,
  LeafTagSnapshot,
  ReservationEvent,
  ReservationTrigger,
} from './segment/segment.types.js';
export { LeafExceptionFilter, INTERNAL_ERROR_MESSAGE } from './leaf-exception.filter.js';
export { BigIntInterceptor, bigintsToStrings } from './bigint.interceptor.js';
export type { LeafIdSource } from './leaf-id-source.js';
export { leafIds } from './leaf-ids.js';
export { leafErrorAnswer, leafErrorStatus, type LeafErrorAnswer } from './protocol/leaf-error-answer.js';
export type { LeafErrorBody } from './protocol/leaf-protocol.js';
export * from './errors/index.js';
export { PERIODS, type LeafPeriod } from './leaf.defaults.js';
export { MAX_BIZ_TAG_LENGTH } from './leaf.options-validation.js';
export { type LeafBizTagOptions } from './leaf.biz-tags.js';
