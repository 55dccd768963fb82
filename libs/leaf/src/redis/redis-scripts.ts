/**
 * The Lua scripts of `RedisLeafStore`, one key each (`KEYS[1]`, the tag's hash), so every call lands on one node of
 * a cluster and runs atomically there.
 *
 * Redis runs Lua 5.1, whose only number is a double: exact to 2^53, not to 2^63-1. So no script does arithmetic
 * on `max_id` or hands it back as a number. The addition is `HINCRBY`, exact on 64-bit integers, which refuses
 * (changing nothing) a result past 2^63-1; the values go back to the client as the strings `HGET` reads, which
 * the store parses with `BigInt`.
 */

/**
 * `update_time`, as milliseconds since the epoch, from the server's clock. Scripts are replicated by their
 * effects (the only mode since Redis 7, the default since 5); `replicate_commands()` opts in on 3.2 and 4, where
 * a write after `TIME` would be refused otherwise.
 */
const NOW = `
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = clock[1] .. string.format('%03d', math.floor(tonumber(clock[2]) / 1000))
`;

/**
 * Moves `max_id` by `ARGV[1]`. Replies `{'ok', before, after}` or the reason nothing was changed:
 * `{'missing'}`, `{'no-max-id'}`, `{'overflow', before}`, `{'not-integer', before}`.
 */
export const RESERVE_LUA = `
local before = redis.call('HGET', KEYS[1], 'max_id')
if not before then
  if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
  return {'no-max-id'}
end
local moved = redis.pcall('HINCRBY', KEYS[1], 'max_id', ARGV[1])
if type(moved) == 'table' and moved.err then
  if string.find(moved.err, 'overflow', 1, true) then return {'overflow', before} end
  return {'not-integer', before}
end
${NOW}
redis.call('HSET', KEYS[1], 'update_time', now)
return {'ok', before, redis.call('HGET', KEYS[1], 'max_id')}
`;

/**
 * Compare-and-set: `max_id` becomes `ARGV[2]` only if it is still the string `ARGV[1]`. Decimal strings compare
 * exactly, where a Lua number would not; `max_id` is always in canonical form once `HINCRBY` has written it.
 * Replies 1 when it did, 0 otherwise.
 */
export const GIVE_BACK_LUA = `
if redis.call('HGET', KEYS[1], 'max_id') ~= ARGV[1] then return 0 end
${NOW}
redis.call('HSET', KEYS[1], 'max_id', ARGV[2], 'update_time', now)
return 1
`;

/**
 * Creates the hash unless the key exists (whatever it holds): `max_id` `ARGV[1]`, `step` `ARGV[2]`, and
 * `description` `ARGV[3]` when given (a missing field is the table's NULL). Replies 1 when it created it, 0 otherwise.
 */
export const CREATE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
${NOW}
redis.call('HSET', KEYS[1], 'max_id', ARGV[1], 'step', ARGV[2], 'update_time', now)
if ARGV[3] then redis.call('HSET', KEYS[1], 'description', ARGV[3]) end
return 1
`;

/** Sets `step` to `ARGV[1]` if the hash exists (never creating one). Replies 1 when it did, 0 otherwise. */
export const SET_STEP_LUA = `
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
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/** The reply of `RESERVE_LUA`. */
export type ReserveReply =
  ['ok', string, string] | ['missing'] | ['no-max-id'] | ['overflow', string] | ['not-integer', string];
