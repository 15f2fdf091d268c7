-- Runs dist/jidroute.lua's core in a plain Lua interpreter for
-- test/recogniser.test.mjs: each input offered whole to a router with the Lua
-- recogniser, or with the full reader alone. Inputs come raw, length-prefixed:
-- a line "policy TAB reader TAB length" (reader: 'recogniser' or 'full'),
-- then exactly `length` bytes. Each answer, one line: took TAB hex(key) TAB
-- route_by TAB hex(from) TAB hex(to) TAB stream, where took is 1 when the
-- recogniser decided.
local jidroute = dofile(arg[1])
local format, rep, byte = string.format, string.rep, string.byte
local function hex(s)
  if #s == 0 then return '' end
  if #s > 4000 then return (s:gsub('.', function(c) return format('%02x', byte(c)) end)) end
  return format(rep('%02x', #s), byte(s, 1, #s))
end
local out = {}
while true do
  local line = io.read('l')
  if line == nil then break end
  local policy, reader, length = line:match('^([^\t]*)\t([^\t]*)\t(%d+)$')
  local bytes = length == '0' and '' or io.read(tonumber(length))
  local router = jidroute.newRouter(policy, nil, reader == 'full' and jidroute.FULL_READER or nil)
  jidroute.feedRouter(router, bytes)
  local r = jidroute.currentRoute(router, '192.0.2.1')
  out[#out + 1] = (jidroute.recognised(router) and '1' or '0') .. '\t' .. hex(r.key) .. '\t' .. r.routeBy .. '\t' ..
    hex(r.from) .. '\t' .. hex(r.to) .. '\t' .. r.stream .. '\n'
end
io.write(table.concat(out))
