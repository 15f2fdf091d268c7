-- The Lua build (dist/jidroute.lua) routing inputs in a plain Lua interpreter,
-- many per process, for harness/builds.mjs (the parity, recogniser and fuzz
-- runs). Inputs come raw, length-prefixed (hex-decoding every input in Lua
-- would cost more than routing it):
--
-- Each input: a line "policy TAB address TAB limit TAB reader TAB length TAB
-- cuts" (limit may be empty; reader: 'full' for the full reader alone, else
-- the recogniser first; cuts: comma-separated lengths after which the buffer
-- so far is fed, may be empty), then exactly `length` raw bytes. An empty
-- line asks for the answers so far (the end of a batch).
-- Each answer, one line: took TAB hex(key) TAB routeBy TAB hex(from) TAB
-- hex(to) TAB stream TAB microseconds of CPU (took: 1 when the recogniser
-- decided), or "ERR TAB message" when the core raised.
local jidroute = dofile(arg[1])

local format, rep, byte = string.format, string.rep, string.byte
local function hex(s)
  local n = #s
  if n == 0 then return '' end
  if n > 4000 then
    return (s:gsub('.', function(c) return format('%02x', byte(c)) end))
  end
  return format(rep('%02x', n), byte(s, 1, n))
end

-- The Lua twin of harness/core.mjs routeInPieces: the buffer so far after
-- every piece, as the adapters feed it.
local function route(policy, address, limit, reader, bytes, cuts)
  local router = jidroute.newRouter(policy, limit, reader == 'full' and jidroute.FULL_READER or nil)
  local decided = false
  for cut in cuts:gmatch('%d+') do
    if jidroute.feedRouter(router, bytes:sub(1, tonumber(cut))) then decided = true break end
  end
  if not decided then jidroute.feedRouter(router, bytes) end
  return jidroute.currentRoute(router, address), jidroute.recognised(router)
end

local out = {}
while true do
  local line = io.read('l')
  if line == nil then break end
  if line == '' then
    io.write(table.concat(out))
    io.flush()
    out = {}
  else
    local policy, address, limit, reader, length, cuts = line:match('^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(%d+)\t([^\t]*)$')
    local bytes = length == '0' and '' or io.read(tonumber(length))
    if limit == '' then limit = nil end
    local started = os.clock()
    local ok, r, took = pcall(route, policy, address, limit, reader, bytes, cuts)
    local us = math.floor((os.clock() - started) * 1e6 + 0.5)
    if ok then
      out[#out + 1] = (took and '1' or '0') .. '\t' .. hex(r.key) .. '\t' .. r.routeBy .. '\t' .. hex(r.from) .. '\t' ..
        hex(r.to) .. '\t' .. r.stream .. '\t' .. us .. '\n'
    else
      out[#out + 1] = 'ERR\t' .. tostring(r):gsub('[\t\n]', ' ') .. '\n'
    end
  end
end
io.write(table.concat(out))
