export { withLeafIds, type LeafIdModel, type LeafIdsExtensionOptions } from './prisma-leaf-ids.extension.js';
export {
  PrismaLeafStore,
  prismaExecutor,
  type PrismaClientLike,
  type PrismaLeafStoreOptions,
  type PrismaRawLike,
} from './prisma-leaf.store.js';
export { createTableSql } from '../sql/leaf-alloc.table.js';
export { serverTimeoutFor } from '../sql/server-bound.js';
