-- Runs dist/jidroute.lua's core in a plain Lua interpreter for the parity
-- tests. Each input line: policy TAB address TAB hex-bytes TAB cuts (comma-
-- separated lengths after which the buffer is fed, may be empty).
-- Each output line: hex(key) TAB route_by TAB hex(from) TAB hex(to) TAB stream.
local bundle = arg[1]
local jidroute = dofile(bundle)

local function unhex(h)
  return (h:gsub('..', function(b) return string.char(tonumber(b, 16)) end))
end
local function hex(s)
  return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end))
end

for line in io.lines() do
  local policy, address, input, cuts = line:match('^([^\t]*)\t([^\t]*)\t([^\t]*)\t?([^\t]*)$')
  local bytes = unhex(input)
  local router = jidroute.newRouter(policy, nil)
  local decided = false
  for cut in cuts:gmatch('%d+') do
    if jidroute.feedRouter(router, bytes:sub(1, tonumber(cut))) then decided = true break end
  end
  if not decided then jidroute.feedRouter(router, bytes) end
  local r = jidroute.currentRoute(router, address)
  io.write(hex(r.key), '\t', r.routeBy, '\t', hex(r.from), '\t', hex(r.to), '\t', r.stream, '\n')
end
