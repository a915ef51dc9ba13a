# How often dict lookups call __hash__ and __eq__ must match CPython
# exactly (hits, misses, hash collisions), in hot loops too.
calls = {'hash': 0, 'eq': 0}


class K:
    def __init__(self, v, h):
        self.v = v
        self.h = h

    def __hash__(self):
        calls['hash'] += 1
        return self.h

    def __eq__(self, o):
        calls['eq'] += 1
        return self.v == o.v


d = {}
for i in range(12):
    d[K(i, i % 3)] = i          # four keys per hash: collisions
print(calls)
total = 0
missing = 0
for i in range(3000):
    k = K(i % 14, (i % 14) % 3)  # 12 and 13 are missing
    try:
        total += d[k]
    except KeyError as e:
        missing += 1
        last = e.args[0].v
print(total, missing, last, calls)
same = K(5, 2)
d[same] = 'x'
print(d[same], calls)
big = K(1, 2**70)
d[big] = 'big'
print(d[K(1, 2**70)], calls)
neg = K(7, -1)
d[neg] = 'neg'
print(d[K(7, -1)], calls)
