-- bench.lua - a fixed Lua workload for bench/real/run: the areas that
-- tests/realworld/lua checks (tables, strings, coroutines, errors through
-- pcall/error, the garbage collector), made to run for seconds.  Debian's
-- lua5.4 source package ships no test suite, and upstream's is not in
-- Debian.  Usage: lua bench.lua [SCALE]  (SCALE 1 is about 0.07 s of plain
-- -O2 CPU); prints a checksum so every build can be checked to agree.
local scale = tonumber(arg and arg[1]) or 1
local check = 0

-- Tables and the GC: binary trees (allocation, recursion).
local function make(d)
  if d == 0 then return {} end
  d = d - 1
  return { make(d), make(d) }
end
local function count(t)
  if not t[1] then return 1 end
  return 1 + count(t[1]) + count(t[2])
end

-- Arrays, sort with a Lua comparator (calls from C into Lua).
local function sorting(n)
  local a = {}
  local x = 42
  for i = 1, n do x = (x * 1103515245 + 12345) % 2147483648; a[i] = x end
  table.sort(a, function(p, q) return p > q end)
  return a[1] % 1000
end

-- Strings: formatting, concatenation, patterns, gsub with a function.
local function strings(n)
  local parts = {}
  for i = 1, n do parts[#parts + 1] = string.format("%d:%s", i, ("x"):rep(i % 7)) end
  local s = table.concat(parts, ",")
  local c = 0
  for num in s:gmatch("(%d+):") do c = c + #num end
  s = s:gsub("x+", function(m) return #m end)
  return c + #s + select(2, s:gsub(",", ","))
end

-- Coroutines: a generator pipeline.
local function coroutines(n)
  local gen = coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i) end
  end)
  local filt = coroutine.wrap(function()
    for v in gen do if v % 3 ~= 0 then coroutine.yield(v) end end
  end)
  local s = 0
  for v in filt do s = s + v end
  return s
end

-- Errors: error() caught by pcall (longjmp through the C stack), with
-- tables as error values and a message handler through xpcall.
local function errors(n)
  local caught = 0
  local function thrower(i)
    if i % 2 == 0 then error({ code = i }) else error("bad " .. i, 2) end
  end
  for i = 1, n do
    local ok, e = pcall(thrower, i)
    if not ok then caught = caught + (type(e) == "table" and e.code % 7 or #e % 7) end
  end
  for i = 1, n // 10 do
    local ok = xpcall(thrower, function(m) return tostring(m) end, i)
    if not ok then caught = caught + 1 end
  end
  return caught
end

-- Closures and method calls: a small object system.
local function objects(n)
  local Acc = {}
  Acc.__index = Acc
  function Acc.new() return setmetatable({ v = 0 }, Acc) end
  function Acc:add(x) self.v = self.v + x; return self end
  local a = Acc.new()
  for i = 1, n do a:add(i % 13):add(1) end
  return a.v
end

for _ = 1, scale do
  check = check + count(make(14))
  check = check + sorting(20000)
  check = check + strings(20000)
  check = check + coroutines(100000)
  check = check + errors(20000)
  check = check + objects(200000)
end
print("checksum " .. check)
