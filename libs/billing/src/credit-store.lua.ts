/**
 * The Lua side of the credit store: each script runs atomically in Redis, so every API instance
 * sharing Redis sees one balance. Amounts are integer micro-USD (well inside a double's 2^53) and
 * are formatted with %d, never tostring (which would print 1e+15).
 *
 * Keys per tenant: `cr:<tenant>` {bal, ver, held}, `hold:<tenant>` {r:<gen> = "amount|slot",
 * p:<gen> = amount}; per gateway key: `ks:<key>` {spent, held}; per tenant and UTC month:
 * `bm:<tenant>:<yyyy-mm>` {req, list, infl}; one sorted set `resv` of open reservations
 * (member `<tenant>|<key>|<gen>|<month>`, score = expiry in ms).
 */

/**
 * Releases an open reservation (shared by settle and expiry) and returns the free slots it held.
 * Needs `cr`, `hold`, `ks`, `bm` in scope.
 */
const RELEASE = `
local function release(cr, hold, ks, bm, gen)
  local field = 'r:' .. gen
  local cur = redis.call('HGET', hold, field)
  if not cur then return 0 end
  local sep = string.find(cur, '|', 1, true)
  local amount = tonumber(string.sub(cur, 1, sep - 1))
  local slot = string.sub(cur, sep + 1)
  if amount > 0 then
    redis.call('HINCRBY', cr, 'held', string.format('%d', -amount))
    redis.call('HINCRBY', ks, 'held', string.format('%d', -amount))
  end
  -- A request holds one free slot at most; an instance's slot lease holds several.
  local slots = tonumber(slot)
  if slots > 0 then redis.call('HINCRBY', bm, 'infl', string.format('%d', -slots)) end
  redis.call('HDEL', hold, field)
  return slots
end
`;

/**
 * Reserve (or raise) the amount held for one generation before an attempt.
 * KEYS: cr, hold, ks, bm, resv. ARGV: gen, needPaid, needFree, wantSlot (1 = BYOK attempt),
 * freeRequests, freeMicros (-1 = none), keyLimit (-1 = none), expiresAtMs, member.
 * Returns {1, slot} reserved; {0, 1} balance too low; {0, 2} over the key's limit;
 * {-1} balance not loaded; {-2} key spend not loaded; {-3} month counters not loaded.
 */
export const RESERVE = `
if redis.call('HEXISTS', KEYS[1], 'bal') == 0 then return {-1} end
if redis.call('HEXISTS', KEYS[3], 'spent') == 0 then return {-2} end
local field = 'r:' .. ARGV[1]
local cur = redis.call('HGET', KEYS[2], field)
local held, slot = 0, 0
if cur then
  local sep = string.find(cur, '|', 1, true)
  held = tonumber(string.sub(cur, 1, sep - 1))
  slot = tonumber(string.sub(cur, sep + 1))
end
local newSlot = 0
if ARGV[4] == '1' and slot == 0 then
  if redis.call('HEXISTS', KEYS[4], 'req') == 0 then return {-3} end
  local m = redis.call('HMGET', KEYS[4], 'req', 'list', 'infl')
  local freeMicros = tonumber(ARGV[6])
  -- In-flight requests holding a free slot count against the allowance, so a burst cannot overrun it.
  if tonumber(m[1]) + tonumber(m[3] or '0') < tonumber(ARGV[5]) and (freeMicros < 0 or tonumber(m[2]) < freeMicros) then
    slot = 1
    newSlot = 1
  end
end
local need = tonumber(ARGV[2])
if ARGV[4] == '1' and slot == 1 then need = tonumber(ARGV[3]) end
local delta = need - held
if delta < 0 then delta = 0 end
if delta > 0 then
  local c = redis.call('HMGET', KEYS[1], 'bal', 'held')
  if tonumber(c[1]) - tonumber(c[2] or '0') < delta then return {0, 1} end
  local limit = tonumber(ARGV[7])
  if limit >= 0 then
    local k = redis.call('HMGET', KEYS[3], 'spent', 'held')
    if tonumber(k[1]) + tonumber(k[2] or '0') + delta > limit then return {0, 2} end
  end
  redis.call('HINCRBY', KEYS[1], 'held', string.format('%d', delta))
  redis.call('HINCRBY', KEYS[3], 'held', string.format('%d', delta))
end
if delta > 0 or newSlot == 1 then
  if newSlot == 1 then redis.call('HINCRBY', KEYS[4], 'infl', 1) end
  redis.call('HSET', KEYS[2], field, string.format('%d', held + delta) .. '|' .. string.format('%d', slot))
  redis.call('ZADD', KEYS[5], ARGV[8], ARGV[9])
end
return {1, slot}
`;

/**
 * An instance's lease of free BYOK slots for one tenant and month: a reservation (`0|<slots>`,
 * counted in the month's `infl` like any slot and listed in `resv` with an expiry) from which the
 * instance hands out slots without a round trip. Raised to `target` only while the month keeps
 * `margin` more free requests than are used or held; lowered to `target` at once.
 * KEYS: hold, bm, resv. ARGV: gen, target, freeRequests, margin, expiresAtMs, member.
 * Returns {1, slots held by the lease} or {-3} when the month's counters are not loaded.
 */
export const SLOT_LEASE = `
if redis.call('HEXISTS', KEYS[2], 'req') == 0 then return {-3} end
local field = 'r:' .. ARGV[1]
local cur = redis.call('HGET', KEYS[1], field)
local held = 0
if cur then held = tonumber(string.sub(cur, string.find(cur, '|', 1, true) + 1)) end
local delta = tonumber(ARGV[2]) - held
if delta > 0 then
  local m = redis.call('HMGET', KEYS[2], 'req', 'infl')
  if tonumber(m[1]) + tonumber(m[2] or '0') + delta + tonumber(ARGV[4]) > tonumber(ARGV[3]) then delta = 0 end
end
if delta ~= 0 then redis.call('HINCRBY', KEYS[2], 'infl', string.format('%d', delta)) end
held = held + delta
if held <= 0 then
  redis.call('HDEL', KEYS[1], field)
  redis.call('ZREM', KEYS[3], ARGV[6])
  return {1, 0}
end
redis.call('HSET', KEYS[1], field, '0|' .. string.format('%d', held))
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[6])
return {1, held}
`;

/**
 * Settle one generation: release its reservation, decide the BYOK waiver against the month's
 * counters, hold the charge until the writer posts it, and queue the generation record, all in
 * one step (so a record is queued if and only if its charge is accounted for). Without a USD
 * allowance, a request that holds a free slot (its own, or one from its instance's lease) is
 * waived: the slot was counted against the allowance when it was granted, so the month's rule
 * would waive it anyway, and the instance can answer with that outcome without waiting for this
 * script's reply (CreditStore.settle).
 * KEYS: cr, hold, ks, bm (the reservation's month), resv, stream, bmNow (this month).
 * ARGV: gen, member, mode ('paid' | 'byok'), charge (for byok: the fee when not waived),
 * counts (1 = a successful BYOK request, counted in the allowance), listMicros, freeRequests,
 * freeMicros (-1 = none), record JSON, slot lease gen ('' = the request took no leased slot),
 * slot lease member.
 * Returns {charge, waived} or {-3} when this month's counters are not loaded.
 */
export const SETTLE = `${RELEASE}
local byok = ARGV[3] == 'byok'
if byok and redis.call('HEXISTS', KEYS[7], 'req') == 0 then return {-3} end
local slotHeld = release(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1]) > 0
redis.call('ZREM', KEYS[5], ARGV[2])
if ARGV[10] ~= '' then
  -- The free slot this request took from its instance's lease goes back with it.
  local field = 'r:' .. ARGV[10]
  local cur = redis.call('HGET', KEYS[2], field)
  if cur then
    local slots = tonumber(string.sub(cur, string.find(cur, '|', 1, true) + 1))
    if slots > 0 then
      redis.call('HINCRBY', KEYS[4], 'infl', -1)
      slots = slots - 1
      slotHeld = true
    end
    if slots > 0 then
      redis.call('HSET', KEYS[2], field, '0|' .. string.format('%d', slots))
    else
      redis.call('HDEL', KEYS[2], field)
      redis.call('ZREM', KEYS[5], ARGV[11])
    end
  end
end
local charge = tonumber(ARGV[4])
local waived = 0
if byok then
  local m = redis.call('HMGET', KEYS[7], 'req', 'list')
  local list = tonumber(ARGV[6])
  local freeMicros = tonumber(ARGV[8])
  -- The same rule as isWaived() in pricing.ts: the request that crosses the USD allowance pays.
  if (slotHeld and freeMicros < 0) or (tonumber(m[1]) < tonumber(ARGV[7]) and (freeMicros < 0 or tonumber(m[2]) + list <= freeMicros)) then
    charge = 0
    waived = 1
  end
  if ARGV[5] == '1' then
    redis.call('HINCRBY', KEYS[7], 'req', 1)
    redis.call('HINCRBY', KEYS[7], 'list', string.format('%d', list))
  end
end
if charge > 0 then
  -- The balance never goes below zero: a charge beyond what is left once this request's own hold
  -- is released (a reported cost above its reservation) is cut to it here, so the answer states
  -- the amount the ledger will hold.
  local c = redis.call('HMGET', KEYS[1], 'bal', 'held')
  if c[1] then
    local left = tonumber(c[1]) - tonumber(c[2] or '0')
    if left < charge then charge = math.max(left, 0) end
  end
end
if charge > 0 then
  local amount = string.format('%d', charge)
  redis.call('HINCRBY', KEYS[1], 'held', amount)
  redis.call('HSET', KEYS[2], 'p:' .. ARGV[1], amount)
  redis.call('HINCRBY', KEYS[3], 'spent', amount)
end
redis.call('XADD', KEYS[6], '*', 'g', ARGV[9], 'c', string.format('%d', charge))
return {charge, waived}
`;

/**
 * After the writer committed a batch: drop the posted charges from `held` (once per generation,
 * so a replayed batch changes nothing) and take the balance if its version is newer.
 * KEYS: cr, hold. ARGV: balance, version, gen...
 */
export const POSTED = `
for i = 3, #ARGV do
  local field = 'p:' .. ARGV[i]
  local amount = redis.call('HGET', KEYS[2], field)
  if amount then
    redis.call('HINCRBY', KEYS[1], 'held', '-' .. amount)
    redis.call('HDEL', KEYS[2], field)
  end
end
local ver = tonumber(redis.call('HGET', KEYS[1], 'ver') or '-1')
if tonumber(ARGV[2]) > ver then redis.call('HSET', KEYS[1], 'bal', ARGV[1], 'ver', ARGV[2]) end
return 1
`;

/** Newest balance wins. KEYS: cr. ARGV: balance, version. */
export const APPLY_BALANCE = `
local ver = tonumber(redis.call('HGET', KEYS[1], 'ver') or '-1')
if tonumber(ARGV[2]) > ver then redis.call('HSET', KEYS[1], 'bal', ARGV[1], 'ver', ARGV[2]) return 1 end
return 0
`;

/** Set fields only where missing. KEYS: hash. ARGV: field, value, ... */
export const INIT_FIELDS = `
for i = 1, #ARGV, 2 do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1
`;

/**
 * Release reservations whose instance never settled them (it crashed).
 * KEYS: resv. ARGV: now ms, key prefix, max count. Returns how many were released.
 */
export const EXPIRE = `${RELEASE}
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local p = ARGV[2]
for _, member in ipairs(members) do
  local parts = {}
  for part in string.gmatch(member, '[^|]+') do table.insert(parts, part) end
  local tenant, key, gen, month = parts[1], parts[2], parts[3], parts[4]
  release(p .. 'cr:' .. tenant, p .. 'hold:' .. tenant, p .. 'ks:' .. key, p .. 'bm:' .. tenant .. ':' .. month, gen)
  redis.call('ZREM', KEYS[1], member)
end
return #members
`;
