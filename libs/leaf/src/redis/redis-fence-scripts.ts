/**
 * The scripts of the failover fence. Redis replication is asynchronous: a replica promoted after its master failed
 * may lack the last reservations, whose IDs are in use. Each tag's hash names, in `fenced_by`, the replication ID
 * (`master_replid`) of the master it was last fenced, created or first reserved on; a promotion gives the new master
 * a new replication ID, so every hash then names another master and reservations refuse until the fence has moved
 * it ahead (`RESERVE_LUA` replies `fence`).
 *
 * The marker, a hash at `<prefix>__nest_leaf_fence__` (on a cluster one per master, `…__nest_leaf_fence__{n}` in a
 * slot of that master), replicated with the tags, holds:
 * - `fenced_by`: the replication ID the master was last fenced for (or first seen with);
 * - after a fence that moved something: `fenced_at` (ms, the server's clock), `previous` (the replication ID before),
 *   `skip` (the default skip) and `skip:<tag>` (the skips of the tags configured with one).
 * It speaks for what a hash cannot: a hash without `fenced_by`, and a hash that is missing (its creation may be what
 * the failover lost), which `CREATE_LUA` starts `skip` further on after a fence.
 */
import { NOW, REPLICATE, REPLICATION, SKIP_AHEAD } from './redis-lua.js';

/**
 * Fences one hash for this master: when its `fenced_by` names another master (or, without one, the marker does),
 * `max_id` moves ahead by `ARGV[3]` (never past 2^63-1) and `fenced_by` names this master. Atomic per key, so nodes
 * fencing at once move each hash once. Replies `{'moved', replid, previous}`, `{'fenced', replid}` (it already was),
 * `{'stamped', replid}` (no `fenced_by`, and nothing to fence against: named, not moved) or `{'skip', replid}` (gone,
 * or not a hash).
 */
export const FENCE_KEY_LUA = `${REPLICATE}${REPLICATION}${SKIP_AHEAD}
local replid = replid_of(redis.call('INFO', 'replication'))
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return {'skip', replid} end
local previous = redis.call('HGET', KEYS[1], 'fenced_by')
if previous == replid then return {'fenced', replid} end
${NOW}
if not previous then
  previous = redis.call('HGET', marker, 'fenced_by')
  if not previous or previous == replid then
    redis.call('HSET', KEYS[1], 'fenced_by', replid)
    return {'stamped', replid}
  end
end
if redis.call('HEXISTS', KEYS[1], 'max_id') == 1 then skip_ahead(KEYS[1], ARGV[3]) end
redis.call('HSET', KEYS[1], 'fenced_by', replid, 'update_time', now)
return {'moved', replid, previous}
`;

/**
 * Makes the marker (`KEYS[1]`) name this master, after the hashes were fenced (so that a hash created meanwhile
 * names the old master, and is fenced by the next fence, rather than be taken for a new one). `ARGV[1]`: a
 * replication ID the hashes were moved from ('' when none moved); `ARGV[2]`: the default skip; then pairs of tag and
 * skip. A fence that moved something, or a marker naming another master, records the fence (`fenced_at`, `previous`,
 * the skips); a missing marker with nothing moved is first seen: it names this master and records no fence.
 * Replies `{'fenced', replid, previous}`, `{'first', replid}` or `{'same', replid}`.
 */
export const FENCE_MARKER_LUA = `${REPLICATE}
local replid = string.match(redis.call('INFO', 'replication'), 'master_replid:(%x+)') or 'none'
local named = redis.call('HGET', KEYS[1], 'fenced_by')
if named == replid and ARGV[1] == '' then return {'same', replid} end
if not named and ARGV[1] == '' then
  redis.call('HSET', KEYS[1], 'fenced_by', replid)
  return {'first', replid}
end
local previous = (named and named ~= replid) and named or ARGV[1]
${NOW}
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'fenced_by', replid, 'fenced_at', now, 'previous', previous, 'skip', ARGV[2])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], 'skip:' .. ARGV[i], ARGV[i + 1]) end
return {'fenced', replid, previous}
`;

/** The reply of `FENCE_KEY_LUA`. */
export type FenceKeyReply = ['moved', string, string] | ['fenced' | 'stamped' | 'skip', string];

/** The reply of `FENCE_MARKER_LUA`. */
export type FenceMarkerReply = ['fenced', string, string] | ['first' | 'same', string];
