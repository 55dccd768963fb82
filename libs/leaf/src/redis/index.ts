export { RedisLeafStore, type RedisLeafStoreOptions } from './redis-leaf.store.js';
export type { RedisDurability, RedisNodeDurability, RedisPersistence } from './redis-durability.js';
