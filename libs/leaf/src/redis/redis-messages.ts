import type { Cluster, Redis } from 'ioredis';
import { FenceRequiredError } from '../errors/fence-required.error.js';
import { IdOverflowError } from '../errors/id-overflow.error.js';
import { LeafStoreError } from '../errors/leaf-store.error.js';
import { UnknownBizTagError } from '../errors/unknown-biz-tag.error.js';
import type { ReserveReply } from './redis-scripts.js';

/** The errors of `RedisLeafStore`, each naming the key and the Redis command that fixes it. */

/** `SCAN MATCH` reads `*`, `?`, `[…]` and a backslash as glob syntax: a prefix holding them is matched literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** WRONGTYPE: a key of the prefix holds a string, a list…, which no retry will cure. Other errors pass through. */
export function notAHash(error: unknown, key: string): unknown {
  const message = (error as Error | undefined)?.message ?? '';
  if (!message.startsWith('WRONGTYPE')) return error;
  return new LeafStoreError(
    `Redis key ${key} is not a hash (${message}): a tag's key must hold its hash only. Delete or rename that key, ` +
      'or give RedisLeafStore another keyPrefix.',
    { cause: error },
  );
}

export function unknownTag(bizTag: string, key: string): string {
  return (
    `Unknown biz tag "${bizTag}": it is not in LeafModule's bizTags and Redis has no hash ${key}. ` +
    `Add it to bizTags, or create it: HSET ${key} max_id 1 step 1000.`
  );
}

/** A hash without a `max_id` HINCRBY can add to. */
export function badMaxId(key: string, maxId: string | undefined): LeafStoreError {
  return new LeafStoreError(
    `Redis hash ${key} has max_id ${maxId === undefined ? '(none)' : `"${maxId}"`}, which is not an integer, so no ` +
      `segment can be reserved. Set it above every ID already issued: HSET ${key} max_id <n>.`,
  );
}

/** The core refuses a bad step too, but with the SQL fix; this one names the Redis command. */
export function badStep(key: string, step: string | null): LeafStoreError {
  return new LeafStoreError(
    `Redis hash ${key} has step ${step === null ? '(none)' : `"${step}"`}; a step must be a positive integer. ` +
      `Fix it with: HSET ${key} step 1000.`,
  );
}

/** `Redis at 127.0.0.1:6379` (or its socket path), or `the Redis Cluster`: where a store's messages say it is. */
export function addressOf(client: Redis | Cluster): string {
  if (client.isCluster) return 'the Redis Cluster';
  const { host, port, path } = (client as Redis).options;
  return path ? `Redis at ${path}` : `Redis at ${host ?? '127.0.0.1'}:${port ?? 6379}`;
}

/** The reason a reservation changed nothing, as the error the contract names. */
export function reserveRefusal(
  bizTag: string,
  key: string,
  step: number,
  reply: Exclude<ReserveReply, ['ok', ...unknown[]]>,
): Error {
  switch (reply[0]) {
    case 'missing':
      return new UnknownBizTagError(bizTag, unknownTag(bizTag, key));
    case 'overflow':
      return new IdOverflowError(bizTag, BigInt(reply[1]), step);
    case 'fence':
      return fenceRequired(key, reply[1], reply[2]);
    case 'not-integer':
      return badMaxId(key, reply[1]);
    default:
      return badMaxId(key, undefined);
  }
}

/** The master of `key` is not the one its hash (or the marker) names: a failover or a restart happened. */
export function fenceRequired(key: string, replid: string, fencedFor: string): FenceRequiredError {
  return new FenceRequiredError(
    `redis replid ${replid}`,
    `redis replid ${fencedFor}`,
    `Redis hash ${key} was fenced for the master with replication ID ${fencedFor}, but its master now has ` +
      `${replid}: a replica was promoted (or the master restarted, which also gives it a new ID), and the server may ` +
      'lack the newest reservations. Nothing was reserved; fence it first (LeafAdmin.fence(), or npx nest-leaf ' +
      'fence), which the generator does on its own.',
  );
}

/** A tag named like the failover marker. */
export function markerName(bizTag: string, key: string): string {
  return (
    `"${bizTag}" is not a tag: Redis key ${key} is the failover marker nest-leaf keeps under the prefix ` +
    '(see docs/stores.md). Choose another tag name.'
  );
}

/** `fence()` on a store whose fencing is off. */
export function fencingOff(location: string): LeafStoreError {
  return new LeafStoreError(
    `Fencing is off for ${location} (RedisLeafStore's fencing option), so nothing was moved. Turn it on, or move ` +
      'every hash past the IDs a lost reservation may hold by hand: HINCRBY <key> max_id <skip>.',
  );
}
