-- gatehouse strict-mode rate limits (issue 4), evaluated atomically in Redis.
-- KEYS[i]: one limit's key. ARGV[1]: cost; then per key: algorithm, limit,
-- period_ms (concurrency: the slot timeout), burst. Uses Redis's clock.
-- Decides every key before writing any: all or nothing. A negative cost gives
-- concurrency slots back. Returns {allowed, first denied (0-based), remaining,
-- retry_after_ms}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cost = tonumber(ARGV[1])
local ok, first, left, retry = 1, -1, -1, 0
local writes = {}
local function ceil0(x) if x <= 0 then return 0 end return math.ceil(x) end
-- UTC calendar (proleptic Gregorian), after H. Hinnant's days_from_civil / civil_from_days
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
  return era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
end
local function civil_from_days(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local m = mp + 3
  if mp >= 10 then m = mp - 9 end
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return y, m
end
for i = 1, #KEYS do
  local o = 1 + (i - 1) * 4
  local alg, limit, period, burst = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
  local allowed, rem, ra = false, 0, 0
  if alg == 0 then -- GCRA: allowed iff max(TAT, now) + c*T - now <= burst*T
    local T = period / limit
    local tat = tonumber(redis.call('GET', KEYS[i])) or now
    local base = math.max(tat, now)
    allowed = cost <= burst and base + cost * T - now <= burst * T
    local after = base
    if allowed then after = base + cost * T; writes[#writes + 1] = {'set', KEYS[i], string.format('%.17g', after), math.ceil(after - now) + 1000} end
    rem = math.floor((burst * T - (after - now)) / T)
    if not allowed then if cost > burst then ra = -1 else ra = ceil0(base + cost * T - burst * T - now) end end
  elseif alg == 1 then -- token bucket: capacity burst, refilled at limit/period
    local v = redis.call('GET', KEYS[i])
    local tokens, last = burst, now
    if v then local sp = string.find(v, ' '); tokens = tonumber(string.sub(v, 1, sp - 1)); last = tonumber(string.sub(v, sp + 1)) end
    tokens = math.min(burst, tokens + math.max(0, now - last) * limit / period)
    allowed = cost <= burst and tokens >= cost
    if allowed then tokens = tokens - cost end
    if allowed then writes[#writes + 1] = {'set', KEYS[i], string.format('%.17g %d', tokens, now), math.ceil((burst - tokens) * period / limit) + 1000} end
    rem = math.floor(tokens)
    if not allowed then if cost > burst then ra = -1 else ra = ceil0((cost - tokens) * period / limit) end end
  elseif alg == 2 then -- sliding window: prev * (1 - elapsed/period) + curr + c <= limit
    local w = math.floor(now / period)
    local e = now - w * period
    local curr = tonumber(redis.call('GET', KEYS[i] .. ':' .. w)) or 0
    local prev = tonumber(redis.call('GET', KEYS[i] .. ':' .. (w - 1))) or 0
    local rate = prev * (period - e) + curr * period
    allowed = rate + cost * period <= limit * period
    if allowed then curr = curr + cost; rate = rate + cost * period; writes[#writes + 1] = {'incr', KEYS[i] .. ':' .. w, cost, 2 * period + 1000} end
    rem = math.floor((limit * period - rate) / period)
    if not allowed then
      if cost > limit then ra = -1
      elseif curr + cost <= limit and prev > 0 and ceil0((prev * period - (limit - cost - curr) * period) / prev) < period then
        ra = w * period + ceil0((prev * period - (limit - cost - curr) * period) / prev) - now
      else
        local e2 = 0
        if curr > 0 then e2 = ceil0((curr * period - (limit - cost) * period) / curr) end
        ra = (w + 1) * period + e2 - now
      end
    end
  elseif alg == 4 then -- concurrency: count + c <= limit in flight; a key's slots expire
    -- `period` ms after its last acquisition (releases lost with a crashed gateway)
    local v = redis.call('GET', KEYS[i])
    local count, last = 0, now
    if v then
      local sp = string.find(v, ' ')
      local held, at = tonumber(string.sub(v, 1, sp - 1)), tonumber(string.sub(v, sp + 1))
      if now - at < period then count, last = held, at end
    end
    if cost < 0 then
      allowed = true
      if count > 0 then
        count = math.max(0, count + cost)
        writes[#writes + 1] = {'set', KEYS[i], string.format('%d %d', count, last), last + period - now}
      end
    else
      allowed = count + cost <= limit
      if allowed then count = count + cost; last = now; writes[#writes + 1] = {'set', KEYS[i], string.format('%d %d', count, now), period} end
      if not allowed then if cost > limit then ra = -1 else ra = last + period - now end end
    end
    rem = limit - count
  else -- fixed window (3), daily (5) and monthly (6) quotas: count + c <= limit
    local w, wend
    if alg == 6 then -- UTC calendar months
      local y, m = civil_from_days(math.floor(now / 86400000))
      w = y * 12 + m - 1
      if m == 12 then wend = days_from_civil(y + 1, 1, 1) else wend = days_from_civil(y, m + 1, 1) end
      wend = wend * 86400000
    else
      if alg == 5 then period = 86400000 end
      w = math.floor(now / period)
      wend = (w + 1) * period
    end
    local count = tonumber(redis.call('GET', KEYS[i] .. ':' .. w)) or 0
    allowed = count + cost <= limit
    if allowed then count = count + cost; writes[#writes + 1] = {'incr', KEYS[i] .. ':' .. w, cost, wend - now + 1000} end
    rem = limit - count
    if not allowed then if cost > limit then ra = -1 else ra = wend - now end end
  end
  if rem < 0 then rem = 0 end
  if left < 0 or rem < left then left = rem end
  if not allowed then
    if ok == 1 then first = i - 1 end
    ok = 0
    if ra < 0 or retry < 0 then retry = -1 elseif ra > retry then retry = ra end
  end
end
if ok == 1 then
  for _, w in ipairs(writes) do
    if w[1] == 'set' then redis.call('SET', w[2], w[3], 'PX', w[4])
    else redis.call('INCRBY', w[2], w[3]); redis.call('PEXPIRE', w[2], w[4]) end
  end
end
return {ok, first, left, retry}
