export { HttpLeafStore, type HttpLeafStoreOptions } from './http-leaf.store.js';
