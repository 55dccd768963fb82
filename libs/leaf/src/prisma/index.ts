export { withLeafIds, type LeafIdModel, type LeafIdsExtensionOptions } from './prisma-leaf-ids.extension.js';
