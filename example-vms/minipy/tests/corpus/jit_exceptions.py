# Exceptions raised inside hot loops and caught at different levels.
def check(i):
    if i % 97 == 0:
        raise ValueError("bad %d" % i)
    return i
total = 0
errors = 0
for i in range(5000):
    try:
        total += check(i)
    except ValueError:
        errors += 1
print(total, errors)
def inner(n):
    s = 0
    for i in range(n):
        if i == n - 1:
            raise KeyError(n)
        s += i
    return s
caught = []
for n in range(1, 200):
    try:
        inner(n)
    except KeyError as e:
        caught.append(e.args[0])
print(sum(caught), len(caught))
d = {}
hits = 0
for i in range(4000):
    k = i % 50
    try:
        d[k] += 1
    except KeyError:
        d[k] = 1
        hits += 1
print(hits, d[0], d[49])
r = 0
for i in range(3000):
    try:
        r += 10 // (i % 10)
    except ZeroDivisionError:
        r -= 1
    finally:
        r += 1
print(r)
class Stop(Exception):
    pass
def walk(limit):
    i = 0
    while True:
        i += 1
        if i >= limit:
            raise Stop()
count = 0
for j in range(300):
    try:
        walk(j + 20)
    except Stop:
        count += 1
print(count)
vals = []
for i in range(2000):
    try:
        vals.append([1, 2, 3][i % 5])
    except IndexError:
        vals.append(-1)
print(sum(vals), vals[:10])
