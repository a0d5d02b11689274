import { createHash } from 'node:crypto';

// One entity's write, applied only if it is newer than what Redis holds, atomically (a script
// runs alone). KEYS[1] is the value, KEYS[2] its version (a string, as decimal text).
// ARGV: [1] the Redis type the value has ('string' or 'hash'), [2] 'put' or 'remove',
//       [3] the change's version ('' when it has none: applied, the stored version kept),
//       [4] seconds the value lives ('' for ever), [5] seconds the version lives ('' for ever),
//       [6...] the value: one string, or a hash's field/value pairs.
// Returns 1 when written, 0 when skipped (the stored version is equal or newer). A key of another
// type is left alone and answered with WRONGTYPE, like Redis's own commands.
const lua = `
local version = ARGV[3]
local stored = redis.call('GET', KEYS[2])
if version ~= '' and stored and tonumber(stored) >= tonumber(version) then
  return 0
end
local found = redis.call('TYPE', KEYS[1])['ok']
if found ~= 'none' and found ~= ARGV[1] then
  return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value')
end
if ARGV[2] == 'remove' then
  redis.call('DEL', KEYS[1])
elseif ARGV[1] == 'string' then
  if ARGV[4] == '' then
    redis.call('SET', KEYS[1], ARGV[6])
  else
    redis.call('SET', KEYS[1], ARGV[6], 'EX', ARGV[4])
  end
else
  redis.call('DEL', KEYS[1])
  if #ARGV > 5 then
    redis.call('HSET', KEYS[1], unpack(ARGV, 6))
    if ARGV[4] ~= '' then
      redis.call('EXPIRE', KEYS[1], ARGV[4])
    end
  end
end
local kept = stored
if version ~= '' then
  kept = version
end
if kept then
  if ARGV[5] == '' then
    redis.call('SET', KEYS[2], kept)
  else
    redis.call('SET', KEYS[2], kept, 'EX', ARGV[5])
  end
end
return 1
`;

/** The Lua script behind every write of the Redis sink, with its SHA-1 for EVALSHA. */
export const versionGuardScript = {
  lua,
  sha1: createHash('sha1').update(lua).digest('hex'),
} as const;
