# Exceptions raised by residual calls inside compiled loops, caught in
# the same loop: the bridge out of `guard_no_exception` must handle the
# exception raised now, not the one seen while tracing (which it used to
# bake in as a constant, leaving the real one pending).


def get(d, k):
    return d[k]


def lookups(d, keys):
    n = 0
    missing = []
    for k in keys:
        try:
            n += get(d, k)
        except KeyError as e:
            missing.append(e.args[0])
            n -= 1
    return n, missing


d = {i: i for i in range(0, 40, 2)}
print(lookups(d, list(range(40))))
print(lookups(d, list(range(40))))


def drain(it):
    out = []
    while True:
        try:
            out.append(next(it))
        except StopIteration:
            break
    return len(out)


print([drain(iter(range(i * 3))) for i in range(8)])


def parse(words):
    total = 0
    bad = []
    for w in words:
        try:
            total += int(w)
        except ValueError as e:
            bad.append(str(e))
    return total, bad


print(parse(['1', 'x', '2', 'yy', '3', 'zzz', '4', '5', 'w', '6']))


def index_all(xs, idxs):
    got = []
    for i in idxs:
        try:
            got.append(xs[i])
        except IndexError as e:
            got.append('IE:' + str(e))
    return got


print(index_all([10, 20, 30], [0, 5, 1, 7, 2, 9, -1, 3, 0, 4]))


class Odd(Exception):
    pass


def check(x):
    if x % 2:
        raise Odd('odd %d' % x)
    return x


def evens(n):
    s = 0
    msgs = []
    for i in range(n):
        try:
            s += check(i)
        except Odd as e:
            msgs.append(str(e))
    return s, msgs[-3:], len(msgs)


print(evens(30))
print(evens(31))


def mixed(items):
    kinds = []
    for x in items:
        try:
            if isinstance(x, str):
                kinds.append(int(x))
            else:
                kinds.append({}[x])
        except (KeyError, ValueError) as e:
            kinds.append(type(e).__name__)
    return kinds


print(mixed([1, 'a', '2', 3, 'b', '4', 5, 'c', 6, '7', 'd', 8]))
