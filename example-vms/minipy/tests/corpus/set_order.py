# Set iteration order and hashes match CPython (ints, floats, tuples).
print(hash(0), hash(1), hash(-1), hash(-2), hash(2**61 - 1), hash(2**61), hash(-2**61))
print(hash(2**63), hash(-2**64), hash(10**30), hash(-10**40), hash(2**200 + 12345))
print(hash(True), hash(False), hash(1.0), hash(1.5), hash(-0.25), hash(0.1), hash(-0.0))
print(hash(1e300), hash(1e-300), hash(5e-324), hash(123456789.125), hash(2.0**70))
print(hash(float('inf')), hash(float('-inf')), hash(()), hash((1,)), hash((1, 2)))
print(hash((1.5, (2, -1), True)), hash(((), ((),))), hash((-1,)), hash((2**64, -3.5)))
print(hash(1) == hash(1.0) == hash(True), hash(2**70) == hash(2.0**70))
print({3, 1, 2}, {-1, -2, 5, 100, 7, 8, 9, 16, 32}, {1.5, 2, 2.5, 1e10, -3.0})
print({(1, 2), (3, 4), (0, 0), (-1, -1)}, {8, 16, 24, 32, 40, 48, 56, 64})
print({1, 1.0, True}, {0, False, 0.0, -0.0}, {2**64, 2**65, 3, -2**64})
a = [100, 200, 300, 17, 33, 49, 65, 1, 9, -7, -8, 1000000, 2**40]
print(set(a), set(reversed(a)), set(tuple(a)))
s = set()
for x in a:
    s.add(x)
print(s)
for x in [17, 1, 300]:
    s.remove(x)
s.discard(12345)
print(s, len(s))
s.add(17)
s.add(5)
print(s)
p = set(range(20))
for i in range(0, 20, 3):
    p.discard(i)
print(p, p.pop(), p.pop(), p)
while len(p) > 3:
    p.pop()
print(p)
print({x * 7 % 13 for x in range(40)}, {x * 1000003 for x in range(30)})
print({x / 4 for x in range(-10, 10)}, {(x, x % 3) for x in range(12)})
u = {1, 9, 17, 25}
w = {33, 41, 9, 2}
print(u | w, w | u, u & w, w & u, u - w, w - u, u ^ w, w ^ u)
print(u.union(w, [100, 8]), u.intersection([9, 17, 4]), u.difference([1], (9,)))
print(u.symmetric_difference([1, 2, 3]), u.issubset(u | w), w.issuperset({2}), u.isdisjoint({5}))
big = set(range(0, 200, 7))
small = {7, 14, 1000}
print(big & small, small & big, small - big, big - small == big - {7, 14})
print(sorted(big ^ small)[:5], len(big | small))
c = set(u)
c |= {64, 128}
c &= {1, 9, 64, 128, 256}
c -= {9}
c ^= {1, 3}
print(c, u)
c.update([40, 48], {56})
c.intersection_update(range(100))
c.difference_update([40])
c.symmetric_difference_update({48, 72})
print(c)
t = c.copy()
t.clear()
print(t, c, set(), len(t))
try:
    set().pop()
except KeyError as exc:
    print("KeyError", exc)
try:
    {1}.remove(2)
except KeyError as exc:
    print("KeyError", exc)
try:
    {[1]}
except TypeError as exc:
    print("TypeError", exc)
# Many deletions leave dummies; re-adding reuses them.
q = set(range(64))
for i in range(0, 64, 2):
    q.remove(i)
for i in range(100, 110):
    q.add(i)
print(q)
print({(1, 2.5), (2, -1), (0,), ()}, {frozen for frozen in [(3, 3), (1, 1)]})


# Hot loop: sets built and queried in a traced loop.
def build(n):
    r = set()
    for i in range(n):
        r.add((i * 37) % 101)
        if i % 5 == 0:
            r.discard((i * 11) % 101)
    return r


for n in (10, 50, 3000):
    print(build(n))
acc = 0
for i in range(3000):
    z = {i % 17, i % 5, -(i % 3)}
    if i % 7 in z:
        acc += len(z)
    acc += len(z & {0, 1, 2})
print(acc, z)
