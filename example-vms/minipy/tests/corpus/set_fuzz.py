# Pseudo-random set operations (ints, tuples, floats): order must match CPython.
seed = 12345
def rnd(n):
    global seed
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % n
sets = [set() for _ in range(4)]
for step in range(3000):
    a = rnd(4); b = rnd(4); op = rnd(12); x = rnd(200) - 50
    s = sets[a]
    if op < 4:
        s.add(x if rnd(3) else (x, x % 3))
    elif op == 4:
        s.discard(x)
    elif op == 5 and s:
        s.pop()
    elif op == 6:
        sets[a] = s | sets[b]
    elif op == 7:
        sets[a] = s & sets[b] if rnd(2) else s.intersection(list(sets[b]))
    elif op == 8:
        sets[a] = s - sets[b] if rnd(2) else s.difference(list(sets[b]))
    elif op == 9:
        sets[a] = s ^ sets[b]
    elif op == 10:
        if rnd(2): s |= sets[b]
        else: s -= sets[b]
    else:
        if len(s) > 60: s.clear()
        else: s.update([x * 1.5, x + 0.5, x * 1000003])
    if step % 97 == 0:
        print(step, sets[a])
for s in sets: print(len(s), s)
