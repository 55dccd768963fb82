export { RedisLeafStore, type RedisLeafStoreOptions } from './redis-leaf.store.js';
export type {
  RedisDurability,
  RedisFailoverProtection,
  RedisNodeDurability,
  RedisPersistence,
} from './redis-durability.js';
export { RedisReplicaAckError, type RedisReplicas } from './redis-replicas.js';
