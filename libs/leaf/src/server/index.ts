export { LeafServerModule } from './leaf-server.module.js';
export { LEAF_SERVER_OPTIONS } from './leaf-server.constants.js';
export { InvalidLeafServerOptionsError } from './leaf-server-options.error.js';
export {
  MIN_TOKEN_LENGTH,
  resolveLeafServerOptions,
  type LeafServerClient,
  type LeafServerOptions,
  type ResolvedLeafServerClient,
  type ResolvedLeafServerOptions,
} from './leaf-server.options.js';
export { ClientTokens } from './client-tokens.js';
export { errorResponse, LeafServerHttpError, type LeafErrorResponse } from './server-errors.js';
export type { InspectBody, InspectTagBody, ReservedRangeBody } from '../protocol/leaf-protocol.js';
