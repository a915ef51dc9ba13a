# Hot dict/str paths with direct helpers: dict.get, int keys of every kind,
# str(int)/repr(int), str + str. Loops run long enough to be traced.
counts = {}
for i in range(3000):
    v = (i * 7919) % 37
    counts[v] = counts.get(v, 0) + 1
print(sorted(counts.items())[:5], len(counts))

# Equal keys of different numeric types find the same entry.
d = {1: "one", 2.0: "two", True: "true?", 10 ** 20: "big", -(2 ** 61): "neg"}
print(d)
keys = [1, True, 1.0, 2, 2.0, False, 0, 10 ** 20, 2 ** 61 - 1, -(2 ** 61), 2 ** 61]
for rep in range(400):
    got = [d.get(k) for k in keys]
print(got)
print(d.get(3), d.get(3, "dflt"), d.get(2, None))
print(hash(2 ** 61 - 1), hash(2 ** 61), hash(-(2 ** 61)), hash(2 ** 62 + 5), hash(-1), hash(-2))

# get with an unhashable key raises like the slow path.
for k in [[1], {}, {1}]:
    try:
        d.get(k)
    except TypeError as e:
        print("TypeError", e)

# str()/repr() of ints inside a hot loop, negative and extreme values.
out = []
for i in range(-1500, 1500, 7):
    out.append(str(i) + "|" + repr(i * 1000003))
print(out[:3], out[-3:], len(out))
edge = [0, -1, 9, 10, -10, 2 ** 63 - 1, -(2 ** 63), 2 ** 63, -(2 ** 64)]
for rep in range(300):
    s = [str(x) for x in edge]
print(s)

# str + str keeps lengths in characters, not bytes.
w = ""
for i in range(1200):
    w = w + "é" + str(i % 3)
print(len(w), w[:8], w[-4:])
parts = []
for i in range(1000):
    parts.append("ü" + str(i % 10) + "€")
print(len(parts), parts[:3], len("".join(parts)))
try:
    "a" + 1
except TypeError as e:
    print("TypeError", e)

# str.join copies heap bytes directly: separators and parts of any width.
j = "·é".join(parts[:4])
print(j, len(j), len("".join([])), "-".join(["solo"]), len(", ".join(parts)))
try:
    " ".join(["a", 1])
except TypeError as e:
    print("TypeError", e)
