# User __hash__/__eq__ as dict keys and set members, __repr__/__str__ met
# inside builtin operations: guest code called from Rust helpers
# (call_may_force), in hot loops so the JIT compiles those paths.


class P:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __hash__(self):
        return hash((self.x, self.y))

    def __eq__(self, o):
        return isinstance(o, P) and self.x == o.x and self.y == o.y

    def __repr__(self):
        return f"P({self.x}, {self.y})"


counts = {}
for i in range(3000):
    k = P(i % 7, i % 5)
    counts[k] = counts.get(k, 0) + 1
print(len(counts), counts[P(1, 1)], P(3, 4) in counts, P(9, 9) in counts)
print(sorted(counts.values())[:5])

seen = set()
for i in range(3000):
    seen.add(P(i % 3, i % 4))
print(len(seen), P(2, 3) in seen, P(5, 5) in seen)

# Keys switch from ints to user objects midway through a hot loop.
mixed = {}
for i in range(4000):
    if i < 2000:
        mixed[i % 10] = i
    else:
        mixed[P(i % 10, 0)] = i
print(len(mixed), mixed[3], mixed[P(3, 0)])

# Hash collisions: equal hashes, different keys.


class Same:
    def __init__(self, v):
        self.v = v

    def __hash__(self):
        return 42

    def __eq__(self, o):
        return self.v == o.v

    def __repr__(self):
        return "Same(%d)" % self.v


coll = {}
for i in range(2000):
    coll[Same(i % 13)] = i
print(len(coll), coll[Same(4)], sorted([s.v for s in coll])[:4])

# __eq__ that raises inside a lookup in a hot loop.


class Touchy:
    def __init__(self, v):
        self.v = v

    def __hash__(self):
        return self.v % 3

    def __eq__(self, o):
        if self.v == 1234 or o.v == 1234:
            raise ValueError("touched %d" % self.v)
        return self.v == o.v


t = {}
caught = 0
for i in range(3000):
    try:
        t[Touchy(i % 1300)] = i
    except ValueError as e:
        caught += 1
        last = str(e)
print(len(t), caught, last)

# A hash changing midway (objects stored with the old hash are lost).


class Mutable:
    salt = 0

    def __init__(self, v):
        self.v = v

    def __hash__(self):
        return self.v + Mutable.salt

    def __eq__(self, o):
        return self.v == o.v


m = {}
found = 0
for i in range(3000):
    if i == 1500:
        Mutable.salt = 1000
    k = Mutable(i % 50)
    if k in m:
        found += 1
    m[k] = i
print(len(m), found)

# Builtin operations reaching user dunders.
print({P(1, 2): 'a'}, [P(1, 2)] == [P(1, 2)], P(1, 2) in [P(0, 0), P(1, 2)])
print([P(1, 2), P(3, 4)].index(P(3, 4)), (P(1, 1), 2) == (P(1, 1), 2))
print({P(0, 1), P(0, 1)}, {P(2, 2): [P(3, 3)]})
d = {P(i, i): i for i in range(5)}
print(d.pop(P(1, 1)), d.setdefault(P(1, 1), 5), d[P(1, 1)], P(4, 4) in d.keys())
del d[P(0, 0)]
print(len(d), d)
try:
    d[P(99, 99)]
except KeyError as e:
    print("KeyError", e)


class BadHash:
    def __hash__(self):
        raise ValueError("no hash")


try:
    {BadHash(): 1}
except ValueError as e:
    print("ValueError", e)


class StrHash:
    def __hash__(self):
        return "x"


try:
    seen.add(StrHash())
except TypeError as e:
    print("TypeError", e)


class NoHash:
    def __eq__(self, o):
        return True


try:
    {NoHash(): 1}
except TypeError as e:
    print("TypeError", e)

total = 0
for i in range(2000):
    total += len(str([P(i % 3, 1)])) + len(repr({P(1, i % 2)}))
print(total)
