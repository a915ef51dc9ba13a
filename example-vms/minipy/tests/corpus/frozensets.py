# frozenset: an immutable, hashable set with its own type, repr and hash.
fs = frozenset([3, 1, 2])
empty = frozenset()
print(fs, empty, type(fs), type(empty))
print(repr(frozenset({"a"})), str(frozenset([(1, 2)])))
print(hash(fs), hash(empty), hash(frozenset([(1, 2), (3, 4)])), hash(frozenset([-1, -2])))
print(hash(frozenset([1, 2])) == hash(frozenset([2, 1])))
print(isinstance(fs, frozenset), isinstance(fs, set), isinstance({1}, frozenset))

# Set operations give the left operand's type.
s = {2, 3, 4}
print(fs | s, s | fs, type(fs | s).__name__, type(s | fs).__name__)
print(fs & s, s & fs, fs - s, s - fs, fs ^ s, s ^ fs)
print(fs.union([9]), fs.intersection(s), fs.difference(s), fs.symmetric_difference(s))
print(fs.issubset({1, 2, 3, 4}), fs.issuperset({1}), fs.isdisjoint({7}))
print(fs == {1, 2, 3}, {1, 2, 3} == fs, fs <= {1, 2, 3, 4}, fs < fs, set(fs), sorted(fs))

# Augmented assignment makes a new frozenset; the old one is unchanged.
g = fs
g |= {10}
print(g, fs, g is fs)

# No mutating methods.
for name in ["add", "remove", "discard", "pop", "clear", "update"]:
    try:
        getattr(fs, name)
    except AttributeError as e:
        print(e)
try:
    fs.add(5)
except AttributeError as e:
    print("AttributeError:", e)

# Hashable: dict keys and set members.
d = {frozenset([1, 2]): "a", frozenset(): "empty"}
print(d[frozenset([2, 1])], d[frozenset()], frozenset([1, 2]) in {fs, frozenset([1, 2])})
try:
    {s: 1}
except TypeError as e:
    print(e)

# Hot loop: frozenset keys, membership and operations compiled by the JIT.
groups = {}
total = 0
for i in range(3000):
    key = frozenset([i % 7, i % 5])
    groups[key] = groups.get(key, 0) + 1
    if (i % 3) in key:
        total += len(key | fs)
    else:
        total -= len(key & s)
print(len(groups), total, groups[frozenset([0])], sorted(groups[k] for k in groups)[:5])
try:
    k = frozenset([1])
    for i in range(2500):
        if i == 2400:
            k.add(i)
except AttributeError as e:
    print("late:", e)
