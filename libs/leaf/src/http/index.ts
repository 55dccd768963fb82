export { HttpLeafStore, type HttpLeafStoreOptions } from './http-leaf.store.js';
export {
  LEAF_API_PREFIX,
  LEAF_ERROR_STATUS,
  LEAF_RETRY_AFTER_SECONDS,
  LEAF_ROUTES,
  leafRoutePath,
  type CreateTagsRequestBody,
  type GiveBackRequestBody,
  type InsertTagRequestBody,
  type LeafErrorCode,
  type LeafRouteName,
  type ReservedRangeBody,
  type ReserveRequestBody,
  type SetStepRequestBody,
  type TagListBody,
  type TagRowBody,
} from '../protocol/leaf-protocol.js';
