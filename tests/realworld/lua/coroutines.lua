-- coroutines.lua - coroutines, generators, yields across pcall, the GC.
local function gen(n)
  return coroutine.wrap(function() for i = 1, n do coroutine.yield(i) end end)
end
local s = 0
for v in gen(100) do s = s + v end
assert(s == 5050)
local co = coroutine.create(function(a)
  local b = coroutine.yield(a + 1)
  local ok, e = pcall(function() coroutine.yield(b * 2); error("inside") end)
  return ok, e
end)
assert(select(2, coroutine.resume(co, 1)) == 2)
assert(select(2, coroutine.resume(co, 5)) == 10)
local _, ok, e = coroutine.resume(co)
assert(ok == false and e:find("inside"))
assert(coroutine.status(co) == "dead")
local weak = setmetatable({}, {__mode = "k"})
for i = 1, 1000 do weak[{}] = i end
collectgarbage("collect")
assert(next(weak) == nil)
local big = {}
for i = 1, 200000 do big[i] = {i} end
big = nil
collectgarbage()
assert(collectgarbage("count") < 10000)
print("coroutines ok")
