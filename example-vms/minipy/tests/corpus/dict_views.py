# Dict views: live, set-like (keys/items), repr, iteration, size checks.
d = {1: 10, 2: 20, 3: 30}
k = d.keys()
v = d.values()
it = d.items()
print(k, v, it)
print(type(k).__name__, type(v).__name__, type(it).__name__)
print(type(iter(k)).__name__, type(iter(v)).__name__, type(iter(it)).__name__)
print(len(k), 2 in k, 20 in v, (1, 10) in it, (1, 11) in it, 5 in k, [1] in it)
d[4] = 40
print(k, len(v), list(it), bool(k))
del d[1]
print(k, v, it)
print(sorted(k, reverse=True), set(k), list(reversed(k)), list(reversed(d.items())))
print(list(reversed(d.values())), list(reversed(d)))
print(k & {1, 2, 9}, k | {9}, k - {2}, k ^ {2, 10})
print({2, 3} & k, {0} | k, {1, 2, 30} - k, {1, 50} ^ k)
print(k & [2, 3, 3], k | (7, 8), k - range(3))
print(it & {(2, 20), (9, 9)}, it - {(2, 20)}, it | {(0, 0)}, it ^ {(2, 20), (5, 5)})
print(k == {2, 3, 4}, k == {1}, it == {(2, 20), (3, 30), (4, 40)}, k != {1})
print(d.values() == d.values(), v == v, d.keys() == d.keys(), k == [2, 3, 4])
print(d.keys() == {2: 0, 3: 0, 4: 0}.keys(), d.items() == dict(d).items())
e = {}
print(e.keys(), e.values(), e.items(), bool(e.keys()), len(e.items()))
x = {'a': [1, 2], 'b': (3,)}
print(x.items(), x.values(), repr(x.keys()), str(x.values()))
try:
    hash(k)
except TypeError as exc:
    print("TypeError", exc)

# Size changes during iteration raise at the next step.
try:
    for key in d:
        d[key + 10] = 1
except RuntimeError as exc:
    print("RuntimeError", exc)
print(d)
try:
    for key, val in d.items():
        del d[key]
except RuntimeError as exc:
    print("RuntimeError", exc)
print(d)
try:
    for val in d.values():
        d.pop(12)
except RuntimeError as exc:
    print("RuntimeError", exc)
print(d)
i = iter(d.keys())
print(next(i))
d[99] = 0
try:
    next(i)
except RuntimeError as exc:
    print("RuntimeError", exc)
try:
    next(i)
except RuntimeError as exc:
    print("still", exc)
# Changing a value is not a size change.
for key in d:
    d[key] = key * 2
print(d)
# Deleting then re-adding keeps the size: no error (like CPython).
for key in list(d):
    if key == 3:
        del d[3]
        d[3] = 6
print(d)


# Hot loops: the JIT traces dict iteration of every kind.
def total_items(m):
    t = 0
    for a, b in m.items():
        t += a * b
    return t


def total_keys(m):
    t = 0
    for a in m:
        t += a
    for a in m.keys():
        t += a
    return t


def total_values(m):
    t = 0
    for b in m.values():
        t += b
    return t


big = {}
for n in range(3000):
    big[n] = n % 7
print(total_items(big), total_keys(big), total_values(big))
# Holes in the entry table (deleted keys) take other paths.
for n in range(0, 3000, 3):
    del big[n]
print(total_items(big), total_keys(big), total_values(big), len(big.items()))
for n in range(5):
    print(total_items({n: n + 1, n + 1: n}))
count = 0
for r in range(2500):
    dd = {r: 1, r + 1: 2}
    for kk, vv in dd.items():
        count += kk * vv
    if r % 500 == 0:
        try:
            for kk in dd:
                dd[kk + 5] = 0
        except RuntimeError:
            count += 1
print(count)
