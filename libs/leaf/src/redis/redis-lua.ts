/**
 * Lua fragments the scripts of `RedisLeafStore` share. Every keyed script takes `KEYS[1]`, the tag's hash, and, for
 * fencing, `ARGV[1]` (`'1'` when fencing is on) and the failover marker: `KEYS[2]` on a single server, or the name in
 * `ARGV[2]` on a cluster, where it lives in another slot of the same master (a script without a shebang may read
 * keys of any slot its node serves; declaring it would make the call cross-slot, which a cluster refuses).
 */

/**
 * First in every script: scripts are replicated by their effects (the only mode since Redis 7, the default since 5);
 * `replicate_commands()` opts in on 3.2 and 4, where a write after `TIME` or `INFO` would be refused otherwise.
 */
export const REPLICATE = `
if redis.replicate_commands then redis.replicate_commands() end
`;

/** `now`: milliseconds since the epoch, from the server's clock (`update_time`, the marker's `fenced_at`). */
export const NOW = `
local clock = redis.call('TIME')
local now = clock[1] .. string.format('%03d', math.floor(tonumber(clock[2]) / 1000))
`;

/**
 * `replid_of(info)`: the master's replication ID (`master_replid`), which a promotion (`REPLICAOF NO ONE`, a
 * Sentinel or cluster failover) and a restart replace (`none` before Redis 4.0, which has none: no fence there); `healthy_replicas(info)`: the replicas that are online and
 * acknowledged within the last second (replicas acknowledge every second), the ones a `WAIT` can count on.
 */
export const REPLICATION = `
local function replid_of(info)
  return string.match(info, 'master_replid:(%x+)') or 'none'
end
local function healthy_replicas(info)
  local healthy = 0
  for state, lag in string.gmatch(info, 'slave%d+:[^\\r\\n]-state=(%a+),offset=%-?%d+,lag=(%d+)') do
    if state == 'online' and tonumber(lag) <= 1 then healthy = healthy + 1 end
  end
  return healthy
end
local fencing = ARGV[1] == '1'
local marker = KEYS[2] or ARGV[2]
`;

/** 2^63-1 as a string: where a skip that would pass it stops (no reservation can then be made, never a repeat). */
export const MAX_ID_LUA = `'9223372036854775807'`;

/**
 * `skip_ahead(key, skip)`: `max_id` += skip with `HINCRBY` (exact on 64-bit integers); a sum past 2^63-1 sets
 * 2^63-1 instead, so the tag refuses further reservations (`IdOverflowError`) rather than repeat one. A `max_id`
 * that is not an integer is left alone: reservations refuse it until it is set by hand.
 */
export const SKIP_AHEAD = `
local function skip_ahead(key, skip)
  local moved = redis.pcall('HINCRBY', key, 'max_id', skip)
  if type(moved) == 'table' and moved.err then
    if string.find(moved.err, 'overflow', 1, true) then redis.call('HSET', key, 'max_id', ${MAX_ID_LUA}) end
  end
end
`;
