export * from './leaf.error.js';
export * from './unknown-biz-tag.error.js';
export * from './leaf-unavailable.error.js';
export * from './id-overflow.error.js';
export * from './invalid-leaf-options.error.js';
export * from './invalid-argument.error.js';
export * from './leaf-store.error.js';
export * from './biz-tag-exists.error.js';
