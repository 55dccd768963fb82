/**
 * The Lua scripts of `RedisLeafStore`, each on one tag's hash (`KEYS[1]`), so every call lands on one node of a
 * cluster and runs atomically there; with fencing, a script also reads (and may write) its master's failover marker,
 * on the same node (see `redis-lua.ts` and `redis-fence-scripts.ts`).
 *
 * Redis runs Lua 5.1, whose only number is a double: exact to 2^53, not to 2^63-1. So no script does arithmetic
 * on `max_id` or hands it back as a number. The addition is `HINCRBY`, exact on 64-bit integers, which refuses
 * (changing nothing) a result past 2^63-1; the values go back to the client as the strings `HGET` reads, which
 * the store parses with `BigInt`.
 */
import { FENCE_KEY_LUA, FENCE_MARKER_LUA } from './redis-fence-scripts.js';
import { NOW, REPLICATE, REPLICATION, SKIP_AHEAD } from './redis-lua.js';

/**
 * Moves `max_id` by `ARGV[3]`. Replies `{'ok', before, after, healthy}` (`healthy`: the replicas a `WAIT` can count
 * on, -1 when `ARGV[4]` did not ask) or the reason nothing was changed: `{'missing'}`, `{'no-max-id'}`,
 * `{'overflow', before}`, `{'not-integer', before}`, or `{'fence', replid, fenced_by}` when the hash was last fenced
 * for another master than this one (a failover happened: the store must be fenced first).
 *
 * A hash without `fenced_by` (written by hand, or by a version without fencing) goes by the marker: fenced for
 * another master, it waits for the fence like the others; otherwise it is this master's, and gets its `fenced_by`
 * (and the marker its first one) with this reservation, which moves `max_id` by the step alone.
 */
export const RESERVE_LUA = `${REPLICATE}${REPLICATION}
local before = redis.call('HGET', KEYS[1], 'max_id')
if not before then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
  return {'no-max-id'}
end
local info = (fencing or ARGV[4] == '1') and redis.call('INFO', 'replication') or ''
local replid, stamp, named = nil, nil, nil
if fencing then
  replid = replid_of(info)
  stamp = redis.call('HGET', KEYS[1], 'fenced_by')
  if stamp and stamp ~= replid then return {'fence', replid, stamp} end
  if not stamp then
    named = redis.call('HGET', marker, 'fenced_by')
    if named and named ~= replid then return {'fence', replid, named} end
  end
end
local moved = redis.pcall('HINCRBY', KEYS[1], 'max_id', ARGV[3])
if type(moved) == 'table' and moved.err then
  if string.find(moved.err, 'overflow', 1, true) then return {'overflow', before} end
  return {'not-integer', before}
end
${NOW}
redis.call('HSET', KEYS[1], 'update_time', now)
if fencing and not stamp then
  redis.call('HSET', KEYS[1], 'fenced_by', replid)
  if not named then redis.call('HSET', marker, 'fenced_by', replid) end
end
local healthy = ARGV[4] == '1' and healthy_replicas(info) or -1
return {'ok', before, redis.call('HGET', KEYS[1], 'max_id'), healthy}
`;

/**
 * Compare-and-set: `max_id` becomes `ARGV[4]` only if it is still the string `ARGV[3]`. Decimal strings compare
 * exactly, where a Lua number would not; `max_id` is always in canonical form once `HINCRBY` has written it. With
 * fencing, not on a hash fenced for another master (or, without `fenced_by`, under a marker that names another): a
 * tail reserved before a failover is not given back to the promoted server, which the fence moves past it anyway.
 * Replies 1 when it did, 0 otherwise.
 */
export const GIVE_BACK_LUA = `${REPLICATE}${REPLICATION}
if fencing then
  local replid = replid_of(redis.call('INFO', 'replication'))
  local named = redis.call('HGET', KEYS[1], 'fenced_by') or redis.call('HGET', marker, 'fenced_by')
  if named and named ~= replid then return 0 end
end
if redis.call('HGET', KEYS[1], 'max_id') ~= ARGV[3] then return 0 end
${NOW}
redis.call('HSET', KEYS[1], 'max_id', ARGV[4], 'update_time', now)
return 1
`;

/**
 * Creates the hash unless the key exists (whatever it holds): `max_id` `ARGV[3]`, `step` `ARGV[4]`, and
 * `description` `ARGV[8]` when given (a missing field is the table's NULL). Replies 1 when it created it, 0 otherwise.
 *
 * With fencing, by the marker (see `redis-fence-scripts.ts`): the hash gets the marker's `fenced_by` (this master's,
 * or, before a pending fence, the old master's, so that the fence moves it too), and after a fence it starts
 * `skip` further on: a hash missing now may be one whose creation the failover lost, whose IDs are in use. That
 * holds for a plain tag whenever it is created, and for a period row (`ARGV[7]`: when its period began, ms; its
 * period tag one the fence recorded a skip for, `ARGV[6]`) whose period began before the fence plus 5 minutes
 * (clocks differ); a later period is new. The skip is the marker's for the tag (`ARGV[5]`), for its period tag, or
 * its default. A marker not there yet is created, naming this master.
 */
export const CREATE_LUA = `${REPLICATE}${REPLICATION}${SKIP_AHEAD}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local stamp, skip = nil, nil
if fencing then
  local replid = replid_of(redis.call('INFO', 'replication'))
  local m = redis.call('HMGET', marker, 'fenced_by', 'fenced_at', 'skip', ARGV[5], ARGV[6])
  if not m[1] then
    redis.call('HSET', marker, 'fenced_by', replid)
    stamp = replid
  else
    stamp = m[1]
    local new_period = ARGV[7] ~= '' and m[5] and tonumber(ARGV[7]) >= tonumber(m[2] or 0) + 300000
    if m[2] and not new_period then skip = m[4] or m[5] or m[3] end
  end
end
${NOW}
redis.call('HSET', KEYS[1], 'max_id', ARGV[3], 'step', ARGV[4], 'update_time', now)
if stamp then redis.call('HSET', KEYS[1], 'fenced_by', stamp) end
if skip then skip_ahead(KEYS[1], skip) end
if ARGV[8] then redis.call('HSET', KEYS[1], 'description', ARGV[8]) end
return 1
`;

/** Sets `step` to `ARGV[1]` if the hash exists (never creating one). Replies 1 when it did, 0 otherwise. */
export const SET_STEP_LUA = `${REPLICATE}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
${NOW}
redis.call('HSET', KEYS[1], 'step', ARGV[1], 'update_time', now)
return 1
`;

/** The names the scripts are defined under on the client (ioredis `defineCommand`: EVALSHA, EVAL when unknown). */
export const SCRIPTS = {
  nestLeafReserve: RESERVE_LUA,
  nestLeafGiveBack: GIVE_BACK_LUA,
  nestLeafCreate: CREATE_LUA,
  nestLeafSetStep: SET_STEP_LUA,
  nestLeafFenceKey: FENCE_KEY_LUA,
  nestLeafFenceMarker: FENCE_MARKER_LUA,
} as const;

/** Scripts that take the marker as `KEYS[2]` on a single server: their number of keys is given with each call. */
export const WITH_MARKER: ReadonlySet<ScriptName> = new Set([
  'nestLeafReserve',
  'nestLeafGiveBack',
  'nestLeafCreate',
  'nestLeafFenceKey',
]);

export type ScriptName = keyof typeof SCRIPTS;

/** The reply of `RESERVE_LUA`. */
export type ReserveReply =
  | ['ok', string, string, number]
  | ['missing']
  | ['no-max-id']
  | ['overflow', string]
  | ['not-integer', string]
  | ['fence', string, string];
