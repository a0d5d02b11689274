import { createHash } from 'node:crypto';

// Entities' writes, each applied only if it is newer than what Redis holds, atomically (a script
// runs alone). Several changes per call: one script call costs Redis and ioredis more than the
// few commands a change runs, so a batch is sent as a few calls of up to `changesPerScriptCall`.
// KEYS: per change its value's key and its version's key (the version as decimal text).
// ARGV: per change [1] the Redis type the value has ('string' or 'hash'), [2] 'put' or 'remove',
//       [3] its version ('' when it has none: applied, the stored version kept), [4] seconds the
//       value lives ('' for ever), [5] seconds the version lives ('' for ever), [6] how many
//       value strings follow, then those: one string, or a hash's field/value pairs.
// Returns per change 1 (written), 0 (skipped: the stored version is equal or newer) or, for a
// value key of another type (left alone), the WRONGTYPE message Redis's own commands give.
const lua = `
local results = {}
local at = 1
for first = 1, #KEYS, 2 do
  local valueKey, versionKey = KEYS[first], KEYS[first + 1]
  local kind, action, version = ARGV[at], ARGV[at + 1], ARGV[at + 2]
  local valueTtl, versionTtl, count = ARGV[at + 3], ARGV[at + 4], tonumber(ARGV[at + 5])
  local value = at + 6
  at = value + count
  local stored = redis.call('GET', versionKey)
  if version ~= '' and stored and tonumber(stored) >= tonumber(version) then
    results[#results + 1] = 0
  else
    local found = redis.call('TYPE', valueKey)['ok']
    if found ~= 'none' and found ~= kind then
      results[#results + 1] = 'WRONGTYPE Operation against a key holding the wrong kind of value'
    else
      if action == 'remove' then
        redis.call('DEL', valueKey)
      elseif kind == 'string' then
        if valueTtl == '' then
          redis.call('SET', valueKey, ARGV[value])
        else
          redis.call('SET', valueKey, ARGV[value], 'EX', valueTtl)
        end
      else
        redis.call('DEL', valueKey)
        if count > 0 then
          redis.call('HSET', valueKey, unpack(ARGV, value, value + count - 1))
          if valueTtl ~= '' then
            redis.call('EXPIRE', valueKey, valueTtl)
          end
        end
      end
      local kept = stored
      if version ~= '' then
        kept = version
      end
      if kept then
        if versionTtl == '' then
          redis.call('SET', versionKey, kept)
        else
          redis.call('SET', versionKey, kept, 'EX', versionTtl)
        end
      end
      results[#results + 1] = 1
    end
  end
end
return results
`;

/** The Lua script behind every write of the Redis sink, with its SHA-1 for EVALSHA. */
export const versionGuardScript = {
  lua,
  sha1: createHash('sha1').update(lua).digest('hex'),
} as const;

/**
 * Changes per script call, at most: enough to spread a call's cost, few enough that one call
 * (during which Redis serves no one else) stays well under a millisecond.
 */
export const changesPerScriptCall = 100;
