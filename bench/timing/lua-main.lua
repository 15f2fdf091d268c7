-- Lua (5.3 / 5.4): dist/jidroute.lua's core, the same measurements as
-- bench-core.js. arg[1]: dist/jidroute.lua; arg[2]: inputs.lua; arg[3]: name.
local core = dofile(arg[1])
local inputs = dofile(arg[2])
local runtime = arg[3]
local seconds = inputs.seconds
local clock = os.clock -- CPU time: the interpreter's own work

local function msPerCall(fn, secs)
  local calls, batch = 0, 1
  local t0 = clock()
  local elapsed = 0
  while elapsed < secs do
    for _ = 1, batch do fn() end
    calls = calls + batch
    batch = batch * 2
    elapsed = clock() - t0
  end
  return elapsed * 1000 / calls
end

local function routeWhole(bytes)
  local r = core.newRouter('bare', nil)
  core.feedRouter(r, bytes)
  return core.currentRoute(r, '127.0.0.1')
end

local function routePrefixes(prefixes)
  local r = core.newRouter('bare', nil)
  for i = 1, #prefixes do
    if core.feedRouter(r, prefixes[i]) then break end
  end
  return core.currentRoute(r, '127.0.0.1')
end

local function prefixesOf(bytes)
  local out = {}
  for k = 1, #bytes do out[k] = bytes:sub(1, k) end
  return out
end

local results, linear = {}, {}
local function want(name) return inputs.only:find(name, 1, true) ~= nil end
local function add(name, bytes, ms)
  results[#results + 1] = string.format('{"runtime":"%s","case":"%s","bytes":%d,"perSecond":%.3f,"nsPerByte":%.3f}',
    runtime, name, #bytes, 1000 / ms, ms * 1e6 / #bytes)
end
local function addLinear(feed, size, ms)
  linear[#linear + 1] = string.format('{"runtime":"%s","feed":"%s","size":%d,"nsPerByte":%.3f}', runtime, feed, size, ms * 1e6 / size)
end

if want('typical') then add('typical', inputs.typical, msPerCall(function() routeWhole(inputs.typical) end, seconds)) end
if want('limit') then
  for _, shape in ipairs(inputs.limits) do
    add('limit: ' .. shape[1], shape[2], msPerCall(function() routeWhole(shape[2]) end, seconds))
  end
end
if want('bytewise') then
  local pre = prefixesOf(inputs.typical)
  add('bytewise', inputs.typical, msPerCall(function() routePrefixes(pre) end, seconds))
end
if want('linear') then
  for _, bytes in ipairs(inputs.linear) do
    addLinear('whole', #bytes, msPerCall(function() routeWhole(bytes) end, seconds / 2))
    local pre = prefixesOf(bytes)
    addLinear('byte at a time, core', #bytes, msPerCall(function() routePrefixes(pre) end, seconds / 2))
    pre = nil
    collectgarbage()
    addLinear('byte at a time, building the prefixes', #bytes, msPerCall(function() prefixesOf(bytes) end, seconds / 4))
  end
end
io.write('{"results":[', table.concat(results, ','), '],"linear":[', table.concat(linear, ','), ']}\n')
