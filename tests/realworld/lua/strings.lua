-- strings.lua - string library: patterns, formatting, packing, utf8.
assert(("hello world"):upper() == "HELLO WORLD")
assert(string.format("%5.2f|%d|%s|%q", 3.14159, 42, "x", "a\n") == ' 3.14|42|x|"a\\\n"')
local words = {}
for w in ("the quick brown fox"):gmatch("%a+") do words[#words + 1] = w end
assert(#words == 4 and words[3] == "brown")
assert(("a,b,,c"):gsub(",", ";") == "a;b;;c")
assert(select(2, ("aaa"):gsub("a", "b")) == 3)
assert(("key = value"):match("^(%w+)%s*=%s*(%w+)$") == "key")
local packed = string.pack("<i4 d z", 7, 2.5, "str")
local a, b, c = string.unpack("<i4 d z", packed)
assert(a == 7 and b == 2.5 and c == "str")
assert(utf8.len("héllo") == 5 and utf8.char(72, 233) == "Hé")
local parts = {}
for i = 1, 1000 do parts[i] = tostring(i) end
assert(#table.concat(parts, ",") == 3892)
assert(("%d"):rep(3, "-") == "%d-%d-%d")
assert(tostring(1e15) == "1e+15" and math.tointeger(3.0) == 3)
print("strings ok")
