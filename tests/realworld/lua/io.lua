-- io.lua - files, os, string buffers through io.
local name = os.tmpname()
local f = assert(io.open(name, "w"))
for i = 1, 1000 do f:write(i, "\n") end
f:close()
local n, sum = 0, 0
for line in io.lines(name) do n = n + 1; sum = sum + tonumber(line) end
assert(n == 1000 and sum == 500500)
f = assert(io.open(name, "rb"))
assert(f:seek("end") > 0)
f:close()
assert(os.remove(name))
assert(not io.open(name))
assert(type(os.time()) == "number" and os.date("!%Y", 0) == "1970")
assert(os.getenv("HOME") ~= nil or true)
print("io ok")
