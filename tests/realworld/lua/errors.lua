-- errors.lua - errors raised and caught (longjmp in C), error objects,
-- xpcall handlers, to-be-closed variables, goto.
local ok, err = pcall(error, "boom")
assert(not ok and err == "boom")
ok, err = pcall(function() local x = nil; return x.field end)
assert(not ok and err:find("attempt to index"))
ok, err = pcall(error, {code = 42})
assert(not ok and err.code == 42)
local trace
ok = xpcall(function() error("deep") end, function(m) trace = debug.traceback(m); return m end)
assert(not ok and trace:find("deep"))
local caught = 0
for i = 1, 1000 do
  if not pcall(function() if i % 2 == 0 then error("even") end end) then caught = caught + 1 end
end
assert(caught == 500)
local closed = false
do
  local res <close> = setmetatable({}, {__close = function() closed = true end})
end
assert(closed)
ok, err = pcall(string.rep)
assert(not ok and err:find("bad argument"))
local n = 0
::again:: n = n + 1
if n < 10 then goto again end
assert(n == 10)
assert(not load("return 1 +"))
print("errors ok")
