-- tables.lua - tables, sorting, metatables, closures, integer/float math.
local t = {}
for i = 1, 10000 do t[i] = (i * 7919) % 10007 end
table.sort(t)
for i = 2, #t do assert(t[i - 1] <= t[i]) end
table.sort(t, function(x, y) return x > y end)
assert(t[1] >= t[#t])
local Vec = {}
Vec.__index = Vec
Vec.__add = function(p, q) return setmetatable({x = p.x + q.x, y = p.y + q.y}, Vec) end
Vec.__eq = function(p, q) return p.x == q.x and p.y == q.y end
Vec.__tostring = function(p) return "(" .. p.x .. "," .. p.y .. ")" end
local function vec(x, y) return setmetatable({x = x, y = y}, Vec) end
assert(vec(1, 2) + vec(3, 4) == vec(4, 6))
assert(tostring(vec(1, 2)) == "(1,2)")
local function counter() local n = 0; return function() n = n + 1; return n end end
local c = counter(); c(); c()
assert(c() == 3)
local h = {}
for i = 1, 5000 do h["k" .. i] = i end
local sum = 0
for _, v in pairs(h) do sum = sum + v end
assert(sum == 5000 * 5001 // 2)
assert(table.unpack({1, 2, 3}, 2) == 2)
table.insert(t, 1, -1); assert(table.remove(t, 1) == -1)
assert(math.maxinteger + 1 == math.mininteger and 7 // 2 == 3 and 7 / 2 == 3.5)
print("tables ok")
