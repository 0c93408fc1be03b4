/**
 * Lua scripts of the Redis limiter. Each runs atomically on the server, so one admission decides
 * over every budget and rate limit with no interleaving from other nodes.
 *
 * State per budget period: a hash (`spent`, `reserved`, and one `a:<percent>` field per alert
 * already sent) and a sorted set of live reservations, member `<ticket>:<micros>`, score = lease
 * expiry. Every script that reads a budget first drops reservations whose lease has lapsed and
 * subtracts their amounts, so a crashed node's reservations free themselves.
 * State per rate limit: two GCRA TATs in epoch microseconds (requests, tokens) and a sorted set
 * of in-flight tickets scored by lease expiry.
 *
 * Numbers go to redis.call as strings formatted by `int`: Lua holds them as doubles and the
 * default conversion may switch to exponent notation, which Redis would reject or misread.
 */

const HELPERS = `
local function int(n)
  if n == 0 then return '0' end
  return string.format('%.0f', n)
end

local function dropLapsed(hash, leases, now)
  local lapsed = redis.call('ZRANGEBYSCORE', leases, '-inf', now)
  if #lapsed == 0 then return end
  local freed = 0
  for _, member in ipairs(lapsed) do
    freed = freed + tonumber(string.match(member, ':(%d+)$'))
  end
  redis.call('ZREMRANGEBYSCORE', leases, '-inf', now)
  if freed > 0 then redis.call('HINCRBY', hash, 'reserved', int(-freed)) end
end

local function ahead(key, nowUs)
  return math.max(0, tonumber(redis.call('GET', key) or '0') - nowUs)
end
`;

/**
 * Checks and reserves in one step.
 * KEYS: per budget (hash, leases); then per rate limit (requests TAT, tokens TAT, in-flight set).
 * ARGV: now, ticket, expiresAt, micros, #budgets, #limits, leaseMs;
 *       per budget: limitMicros, enforce (1|0), ttlMs;
 *       per limit: requestCostUs (-1: none), tokenCostUs (-1: none), concurrency (0: none).
 * Returns: verdict (0 admit, 1 budget, 2 rate), index (1-based), dimension (1 requests,
 * 2 tokens, 3 concurrency); per budget spent, reserved; per limit requestsUsedUs,
 * tokensUsedUs, inFlight — all as read before this request.
 */
export const ADMIT_LUA = `${HELPERS}
local now = ARGV[1]
local nowUs = tonumber(now) * 1000
local micros = tonumber(ARGV[4])
local nb, nl = tonumber(ARGV[5]), tonumber(ARGV[6])
local verdict, at, dim = 0, 0, 0
local out = {0, 0, 0}
local a = 8
for i = 1, nb do
  local hash, leases = KEYS[2 * i - 1], KEYS[2 * i]
  dropLapsed(hash, leases, now)
  local state = redis.call('HMGET', hash, 'spent', 'reserved')
  local spent, reserved = tonumber(state[1]) or 0, tonumber(state[2]) or 0
  if verdict == 0 and ARGV[a + 1] == '1' and spent + reserved + micros > tonumber(ARGV[a]) then
    verdict, at = 1, i
  end
  out[#out + 1] = spent
  out[#out + 1] = reserved
  a = a + 3
end
for j = 1, nl do
  local k = 2 * nb + 3 * (j - 1)
  local requestCost, tokenCost, concurrency = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local requestsUsed, tokensUsed, inFlight = 0, 0, 0
  if requestCost >= 0 then
    requestsUsed = ahead(KEYS[k + 1], nowUs)
    if verdict == 0 and requestsUsed + requestCost > 60000000 then verdict, at, dim = 2, j, 1 end
  end
  if tokenCost >= 0 then
    tokensUsed = ahead(KEYS[k + 2], nowUs)
    if verdict == 0 and tokensUsed + tokenCost > 60000000 then verdict, at, dim = 2, j, 2 end
  end
  if concurrency > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[k + 3], '-inf', now)
    inFlight = redis.call('ZCARD', KEYS[k + 3])
    if verdict == 0 and inFlight >= concurrency then verdict, at, dim = 2, j, 3 end
  end
  out[#out + 1] = requestsUsed
  out[#out + 1] = tokensUsed
  out[#out + 1] = inFlight
  a = a + 3
end
out[1], out[2], out[3] = verdict, at, dim
if verdict ~= 0 then return out end

a = 8
for i = 1, nb do
  local hash, leases, ttl = KEYS[2 * i - 1], KEYS[2 * i], ARGV[a + 2]
  if micros > 0 then redis.call('HINCRBY', hash, 'reserved', ARGV[4]) end
  redis.call('ZADD', leases, ARGV[3], ARGV[2] .. ':' .. ARGV[4])
  redis.call('PEXPIRE', hash, ttl)
  redis.call('PEXPIRE', leases, ttl)
  a = a + 3
end
for j = 1, nl do
  local k = 2 * nb + 3 * (j - 1)
  local o = 3 + 2 * nb + 3 * (j - 1)
  local requestCost, tokenCost, concurrency = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  if requestCost >= 0 then
    local used = out[o + 1] + requestCost
    redis.call('SET', KEYS[k + 1], int(nowUs + used), 'PX', int(math.ceil(used / 1000) + 1000))
  end
  if tokenCost >= 0 then
    local used = out[o + 2] + tokenCost
    redis.call('SET', KEYS[k + 2], int(nowUs + used), 'PX', int(math.ceil(used / 1000) + 1000))
  end
  if concurrency > 0 then
    redis.call('ZADD', KEYS[k + 3], ARGV[3], ARGV[2])
    redis.call('PEXPIRE', KEYS[k + 3], int(tonumber(ARGV[7]) + 1000))
  end
  a = a + 3
end
return out
`;

/**
 * Settles (or, with cost 0 and no thresholds, releases) one ticket.
 * KEYS: per budget (hash, leases); then per rate limit (tokens TAT, in-flight set).
 * ARGV: now, ticket, reservedMicros, costMicros, #budgets, #limits;
 *       per budget: ttlMs, #thresholds, then per threshold: field, micros;
 *       per limit: tokenCorrectionUs ('none': no tokens limit), holdsSlot (1|0).
 * Returns per budget: spent, reserved, #crossed, then the crossed thresholds' 1-based indexes.
 * HSETNX marks a threshold as sent, so it is reported once per period however many nodes race.
 */
export const SETTLE_LUA = `${HELPERS}
local nowUs = tonumber(ARGV[1]) * 1000
local member = ARGV[2] .. ':' .. ARGV[3]
local nb, nl = tonumber(ARGV[5]), tonumber(ARGV[6])
local out = {}
local a = 7
for i = 1, nb do
  local hash, leases = KEYS[2 * i - 1], KEYS[2 * i]
  local ttl, thresholds = ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  local reserved
  if redis.call('ZREM', leases, member) == 1 and tonumber(ARGV[3]) > 0 then
    reserved = redis.call('HINCRBY', hash, 'reserved', '-' .. ARGV[3])
  else
    reserved = tonumber(redis.call('HGET', hash, 'reserved') or '0')
  end
  local spent = redis.call('HINCRBY', hash, 'spent', ARGV[4])
  redis.call('PEXPIRE', hash, ttl)
  out[#out + 1] = spent
  out[#out + 1] = reserved
  local count = #out + 1
  out[count] = 0
  for t = 1, thresholds do
    if spent >= tonumber(ARGV[a + 1]) and redis.call('HSETNX', hash, ARGV[a], '1') == 1 then
      out[#out + 1] = t
      out[count] = out[count] + 1
    end
    a = a + 2
  end
end
for j = 1, nl do
  local tokens, slots = KEYS[2 * nb + 2 * j - 1], KEYS[2 * nb + 2 * j]
  local correction = ARGV[a]
  if correction ~= 'none' and tonumber(correction) ~= 0 then
    local tat = math.max(tonumber(redis.call('GET', tokens) or '0'), nowUs) + tonumber(correction)
    if tat > nowUs then
      redis.call('SET', tokens, int(tat), 'PX', int(math.ceil((tat - nowUs) / 1000) + 1000))
    else
      redis.call('DEL', tokens)
    end
  end
  if ARGV[a + 1] == '1' then redis.call('ZREM', slots, ARGV[2]) end
  a = a + 2
end
return out
`;

/** Reads one budget period after dropping lapsed reservations. KEYS: hash, leases. ARGV: now. */
export const USAGE_LUA = `${HELPERS}
dropLapsed(KEYS[1], KEYS[2], ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'spent', 'reserved')
return {tonumber(state[1]) or 0, tonumber(state[2]) or 0, redis.call('ZCARD', KEYS[2])}
`;

/** Sets settled spend, leaving reservations alone. KEYS: hash. ARGV: spent, ttlMs. */
export const RECONCILE_LUA = `
redis.call('HSET', KEYS[1], 'spent', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** Adds spend settled while Redis was away. KEYS: hashes. ARGV: per key micros, ttlMs. */
export const ADD_SPEND_LUA = `
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'spent', ARGV[2 * i - 1])
  redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])
end
return #KEYS
`;

/** Raises settled spend to at least a figure, never lowering it. KEYS: hash. ARGV: spent, ttlMs. */
export const SEED_LUA = `
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
if spent < tonumber(ARGV[1]) then redis.call('HSET', KEYS[1], 'spent', ARGV[1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;
