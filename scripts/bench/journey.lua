-- wrk script: the driver-journey mix (issue #14) across the drivers scripts/bench/journey_setup.py
-- made. Every request carries an X-Request-Id naming its route, which the server echoes, so each
-- answer is matched to its request even with many connections per thread; latencies go into a
-- per-route log histogram (2% buckets, constant memory however long the run).
--   wrk -t2 -c64 -d30s -s journey.lua URL -- DRIVERS_LUA OUT_JSON [mix] [delay_ms] [secret]
-- mix: "me=30,cover=20,transactions=15,quote=10,shift=15,topup=10" (relative weights)
-- delay_ms: pause before each request on a connection (the soak's pacing; 0 = flat out)
-- secret: PROVIDER_DELIVEROO_SECRET, for the shift events' Hourglass-Signature
local ffi = require("ffi")
local bit = require("bit")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } hg_timespec;
int clock_gettime(int clock, hg_timespec *out);
]]
local band, bor, bxor, bnot, rshift, ror, tobit, tohex =
  bit.band, bit.bor, bit.bxor, bit.bnot, bit.rshift, bit.ror, bit.tobit, bit.tohex
local ts = ffi.new("hg_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end
local function wall_ms()
  ffi.C.clock_gettime(0, ts) -- CLOCK_REALTIME: signatures and occurred_at are on real time
  return tonumber(ts.tv_sec) * 1000 + math.floor(tonumber(ts.tv_nsec) / 1e6)
end

-- SHA-256 (FIPS 180-4) and HMAC (RFC 2104) on LuaJIT's 32-bit bit operations, so every shift
-- event is signed afresh whatever the run's length (the server allows 300 s of skew).
local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}
for i = 1, 64 do K[i] = tobit(K[i]) end
local W = {}

local function sha256(message) -- raw 32-byte digest of a Lua string
  local length = #message
  local padded = message .. "\128" .. string.rep("\0", (55 - length) % 64)
    .. string.char(0, 0, 0, 0) -- the high half of the bit length: messages here are small
    .. string.char(band(rshift(length * 8, 24), 255), band(rshift(length * 8, 16), 255),
                   band(rshift(length * 8, 8), 255), band(length * 8, 255))
  local h0, h1, h2, h3 = tobit(0x6a09e667), tobit(0xbb67ae85), tobit(0x3c6ef372), tobit(0xa54ff53a)
  local h4, h5, h6, h7 = tobit(0x510e527f), tobit(0x9b05688c), tobit(0x1f83d9ab), tobit(0x5be0cd19)
  for block = 1, #padded, 64 do
    for i = 0, 15 do
      local a, b, c, d = padded:byte(block + i * 4, block + i * 4 + 3)
      W[i] = bor(bit.lshift(a, 24), bit.lshift(b, 16), bit.lshift(c, 8), d)
    end
    for i = 16, 63 do
      local w15, w2 = W[i - 15], W[i - 2]
      local s0 = bxor(ror(w15, 7), ror(w15, 18), rshift(w15, 3))
      local s1 = bxor(ror(w2, 17), ror(w2, 19), rshift(w2, 10))
      W[i] = tobit(W[i - 16] + s0 + W[i - 7] + s1)
    end
    local a, b, c, d, e, f, g, h = h0, h1, h2, h3, h4, h5, h6, h7
    for i = 0, 63 do
      local S1 = bxor(ror(e, 6), ror(e, 11), ror(e, 25))
      local ch = bxor(band(e, f), band(bnot(e), g))
      local t1 = tobit(h + S1 + ch + K[i + 1] + W[i])
      local S0 = bxor(ror(a, 2), ror(a, 13), ror(a, 22))
      local maj = bxor(band(a, b), band(a, c), band(b, c))
      local t2 = tobit(S0 + maj)
      h, g, f, e, d, c, b, a = g, f, e, tobit(d + t1), c, b, a, tobit(t1 + t2)
    end
    h0, h1, h2, h3 = tobit(h0 + a), tobit(h1 + b), tobit(h2 + c), tobit(h3 + d)
    h4, h5, h6, h7 = tobit(h4 + e), tobit(h5 + f), tobit(h6 + g), tobit(h7 + h)
  end
  local out = {}
  for _, word in ipairs({ h0, h1, h2, h3, h4, h5, h6, h7 }) do
    out[#out + 1] = string.char(band(rshift(word, 24), 255), band(rshift(word, 16), 255),
                                band(rshift(word, 8), 255), band(word, 255))
  end
  return table.concat(out)
end

local function xor_with(key, byte)
  return (key:gsub(".", function(ch) return string.char(bxor(ch:byte(), byte)) end))
end

local function hmac_sha256_hex(key, message)
  if #key > 64 then key = sha256(key) end
  key = key .. string.rep("\0", 64 - #key)
  local digest = sha256(xor_with(key, 0x5c) .. sha256(xor_with(key, 0x36) .. message))
  return (digest:gsub(".", function(ch) return string.format("%02x", ch:byte()) end))
end

-- For scripts/bench/journey's check of the signer against Python's hmac before a run.
hourglass_hmac_sha256_hex = hmac_sha256_hex

-- ---------------------------------------------------------------------------------------------
local routes = { "me", "cover", "transactions", "quote", "shift", "topup" }
local thread_index = 0
local all_threads = {}

-- setup runs in the main Lua state before each thread's init; thread:set makes a global there.
function setup(thread)
  thread:set("hg_thread_index", thread_index)
  thread_index = thread_index + 1
  table.insert(all_threads, thread)
end

local drivers, mine, secret, delay_ms
local schedule = {}      -- route names, repeated by weight
local counter = 0
local started = {}       -- request id -> start time (µs)
local nonce
local shift_cursor = 0
local on_shift = {}      -- driver -> shift id while on shift
local last_event_ms = {} -- driver -> when its last event was sent (events stay in order)
-- Read by done() through thread:get, which copies only flat tables (wrk 4.1 crashes on nested
-- ones): hist["me:123"] counts answers in bucket 123; counts["me:total"], ["me:non2xx"], ["me:5xx"].
hist = {}
counts = {}
unmatched = 0            -- answers without an X-Request-Id of ours (e.g. a 503 before routing)

local function parse_mix(text)
  local weights = {}
  for name, weight in string.gmatch(text, "(%w+)=(%d+)") do weights[name] = tonumber(weight) end
  return weights
end

function init(args)
  local drivers_path = args[1]
  hg_out_path = args[2] -- a global: done() runs in the main state, which has no args, and reads it back
  local mix = (args[3] and args[3] ~= "") and args[3] or "me=30,cover=20,transactions=15,quote=10,shift=15,topup=10"
  local weights = parse_mix(mix)
  delay_ms = tonumber(args[4] or "0") or 0
  -- wrk asks for a delay only when the function exists (checked after init): flat out, no timer.
  if delay_ms == 0 then delay = nil end
  secret = (args[5] and args[5] ~= "") and args[5] or os.getenv("PROVIDER_DELIVEROO_SECRET") or ""
  drivers = dofile(drivers_path)
  local threads = tonumber(os.getenv("JOURNEY_THREADS") or "0")
  local index = hg_thread_index or 0
  -- Each thread owns its own drivers, so one driver's shift events come from one place in order.
  mine = {}
  for i, driver in ipairs(drivers) do
    if threads <= 1 or (i - 1) % threads == index then table.insert(mine, driver) end
  end
  for _, name in ipairs(routes) do
    for _ = 1, (weights[name] or 0) do table.insert(schedule, name) end
    counts[name .. ":total"], counts[name .. ":non2xx"], counts[name .. ":5xx"] = 0, 0, 0
  end
  math.randomseed(index * 7919 + os.time())
  nonce = string.format("%x%x", os.time(), index)
end

function delay()
  return delay_ms
end

local function uuid4()
  local function hex(n) local s = "" for _ = 1, n do s = s .. string.format("%x", math.random(0, 15)) end return s end
  return hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-" .. string.format("%x", math.random(8, 11)) .. hex(3) .. "-" .. hex(12)
end

local function iso8601(ms)
  return os.date("!%Y-%m-%dT%H:%M:%S", math.floor(ms / 1000)) .. string.format(".%03dZ", ms % 1000)
end

local function authed(method, path, driver, id, body, extra)
  local headers = { ["Authorization"] = "Bearer " .. driver.token, ["X-Request-Id"] = id }
  if body then headers["Content-Type"] = "application/json" end
  if extra then for k, v in pairs(extra) do headers[k] = v end end
  return wrk.format(method, path, headers, body)
end

-- The next driver due a shift event: the round goes on to one whose last event is at least a
-- second old, so a start and its end never carry the same instant.
local function next_shift_driver(now)
  for _ = 1, #mine do
    shift_cursor = shift_cursor % #mine + 1
    local driver = mine[shift_cursor]
    if now - (last_event_ms[driver] or 0) >= 1000 then return driver end
  end
  return nil
end

function request()
  counter = counter + 1
  local route = schedule[math.random(#schedule)]
  local now = wall_ms()
  local driver, shift_driver = mine[math.random(#mine)], nil
  if route == "shift" then
    shift_driver = next_shift_driver(now)
    if not shift_driver then route = "me" end
  end
  local id = route .. "." .. nonce .. "." .. counter
  started[id] = now_us()
  if route == "me" then
    return authed("GET", "/v1/me", driver, id)
  elseif route == "cover" then
    return authed("GET", "/v1/cover", driver, id)
  elseif route == "transactions" then
    return authed("GET", "/v1/transactions", driver, id)
  elseif route == "quote" then
    local body = '{"vehicle_id":"' .. driver.vehicle .. '","product":"payg","usage":"food_delivery"}'
    return authed("POST", "/v1/quotes", driver, id, body)
  elseif route == "topup" then
    local body = '{"amount":500,"payment_method_id":"' .. driver.card .. '"}'
    return authed("POST", "/v1/wallet/top-ups", driver, id, body, { ["Idempotency-Key"] = uuid4() })
  end
  -- A signed shift event, alternating start and end for the driver.
  local kind, shift_id = "shift_started", on_shift[shift_driver]
  if shift_id then
    kind = "shift_ended"
    on_shift[shift_driver] = nil
  else
    shift_id = "s-" .. nonce .. "-" .. counter
    on_shift[shift_driver] = shift_id
  end
  last_event_ms[shift_driver] = now
  local body = '{"event_id":"e-' .. nonce .. "-" .. counter .. '","provider_driver_id":"' .. shift_driver.provider_id
    .. '","type":"' .. kind .. '","occurred_at":"' .. iso8601(now) .. '","shift_id":"' .. shift_id .. '"}'
  local t = tostring(math.floor(now / 1000))
  local headers = {
    ["Content-Type"] = "application/json", ["X-Request-Id"] = id,
    ["Hourglass-Signature"] = "t=" .. t .. ",v1=" .. hmac_sha256_hex(secret, t .. "." .. body),
  }
  return wrk.format("POST", "/v1/work-providers/deliveroo/events", headers, body)
end

function response(status, headers, body)
  local id = headers["x-request-id"] or headers["X-Request-Id"]
  local start = id and started[id]
  if not start then
    unmatched = unmatched + 1
    return
  end
  started[id] = nil
  local route = id:match("^(%w+)%.")
  local micros = now_us() - start
  local key = route .. ":" .. (micros < 1 and 0 or math.floor(math.log(micros) * 50))
  hist[key] = (hist[key] or 0) + 1
  counts[route .. ":total"] = counts[route .. ":total"] + 1
  if status < 200 or status > 299 then counts[route .. ":non2xx"] = counts[route .. ":non2xx"] + 1 end
  if status >= 500 then counts[route .. ":5xx"] = counts[route .. ":5xx"] + 1 end
end

local function percentile(h, total, q)
  local keys = {}
  for k in pairs(h) do table.insert(keys, k) end
  table.sort(keys)
  local target, seen = q * total, 0
  for _, k in ipairs(keys) do
    seen = seen + h[k]
    if seen >= target then return math.exp((k + 0.5) / 50) / 1000 end
  end
  return 0
end

function done(summary, latency, requests)
  local merged, totals, lost = {}, {}, 0
  for _, name in ipairs(routes) do merged[name] = {}; totals[name] = { 0, 0, 0 } end
  for _, thread in ipairs(all_threads) do
    local h, c = thread:get("hist"), thread:get("counts")
    lost = lost + (tonumber(thread:get("unmatched")) or 0)
    for key, v in pairs(h) do
      local name, bucket = key:match("^(%w+):(%d+)$")
      merged[name][tonumber(bucket)] = (merged[name][tonumber(bucket)] or 0) + v
    end
    for _, name in ipairs(routes) do
      for i, suffix in ipairs({ ":total", ":non2xx", ":5xx" }) do
        totals[name][i] = totals[name][i] + (c[name .. suffix] or 0)
      end
    end
  end
  local seconds = summary.duration / 1e6
  local parts = {}
  for _, name in ipairs(routes) do
    local total = totals[name][1]
    table.insert(parts, string.format(
      '"%s":{"requests":%d,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"non2xx":%d,"s5xx":%d}',
      name, total, total / seconds, percentile(merged[name], total, 0.5), percentile(merged[name], total, 0.99),
      totals[name][2], totals[name][3]))
  end
  local e = summary.errors
  local json = string.format(
    '{"seconds":%.2f,"requests":%d,"unmatched":%d,"socket_errors":%d,"timeouts":%d,"routes":{%s}}',
    seconds, summary.requests, lost, e.connect + e.read + e.write, e.timeout, table.concat(parts, ","))
  local file = io.open(all_threads[1]:get("hg_out_path"), "w")
  file:write(json, "\n")
  file:close()
end
