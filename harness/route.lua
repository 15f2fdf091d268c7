-- Runs dist/jidroute.lua's core in a plain Lua interpreter for the fuzz runs
-- (harness/fuzz.mjs), many inputs per process: hex-decoding every input in
-- Lua would cost more than routing it, so inputs come raw, length-prefixed.
--
-- Each input: a line "policy TAB address TAB limit TAB length TAB cuts" (cuts:
-- comma-separated lengths after which the buffer is fed, may be empty; limit
-- may be empty), then exactly `length` raw bytes.
-- Each answer, one line: hex(key) TAB route_by TAB hex(from) TAB hex(to) TAB
-- stream TAB microseconds of CPU, or "ERR TAB message" when the core raised.
local bundle = arg[1]
local jidroute = dofile(bundle)

local format, rep, byte = string.format, string.rep, string.byte
local function hex(s)
  local n = #s
  if n == 0 then return '' end
  if n > 4000 then
    return (s:gsub('.', function(c) return format('%02x', byte(c)) end))
  end
  return format(rep('%02x', n), byte(s, 1, n))
end

local function route(policy, address, limit, bytes, cuts)
  local router = jidroute.newRouter(policy, limit)
  local decided = false
  for cut in cuts:gmatch('%d+') do
    if jidroute.feedRouter(router, bytes:sub(1, tonumber(cut))) then decided = true break end
  end
  if not decided then jidroute.feedRouter(router, bytes) end
  return jidroute.currentRoute(router, address)
end

local out = {}
while true do
  local line = io.read('l')
  if line == nil then break end
  if line == '' then
    -- An empty line asks for the answers so far (the end of a batch).
    io.write(table.concat(out))
    io.flush()
    out = {}
  else
    local policy, address, limit, length, cuts = line:match('^([^\t]*)\t([^\t]*)\t([^\t]*)\t(%d+)\t([^\t]*)$')
    local bytes = length == '0' and '' or io.read(tonumber(length))
    if limit == '' then limit = nil end
    local started = os.clock()
    local ok, r = pcall(route, policy, address, limit, bytes, cuts)
    local us = math.floor((os.clock() - started) * 1e6 + 0.5)
    if ok then
      out[#out + 1] = hex(r.key) .. '\t' .. r.routeBy .. '\t' .. hex(r.from) .. '\t' .. hex(r.to) .. '\t' .. r.stream .. '\t' .. us .. '\n'
    else
      out[#out + 1] = 'ERR\t' .. tostring(r):gsub('[\t\n]', ' ') .. '\n'
    end
  end
end
io.write(table.concat(out))
