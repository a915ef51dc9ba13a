"""Functional iterator tools (after CPython's itertools docs)."""


_END = object()


def count(start=0, step=1):
    n = start
    while True:
        yield n
        n += step


def cycle(iterable):
    saved = []
    for element in iterable:
        yield element
        saved.append(element)
    while saved:
        for element in saved:
            yield element


def repeat(obj, times=None):
    if times is None:
        while True:
            yield obj
    else:
        for i in range(times):
            yield obj


class chain:
    def __init__(self, *iterables):
        self._its = iter(iterables)
        self._cur = None

    @classmethod
    def from_iterable(cls, iterables):
        c = cls()
        c._its = iter(iterables)
        return c

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            if self._cur is None:
                nxt = next(self._its, _END)
                if nxt is _END:
                    raise StopIteration
                self._cur = iter(nxt)
            v = next(self._cur, _END)
            if v is not _END:
                return v
            self._cur = None


def islice(iterable, *args):
    if len(args) == 1:
        start, stop, step = None, args[0], None
    elif len(args) == 2:
        start, stop, step = args[0], args[1], None
    elif len(args) == 3:
        start, stop, step = args
    else:
        raise TypeError('islice expected at most 4 arguments, got %d' % (len(args) + 1))
    start = 0 if start is None else start
    step = 1 if step is None else step
    if start < 0 or (stop is not None and stop < 0) or step <= 0:
        raise ValueError('Indices for islice() must be None or an integer: 0 <= x <= sys.maxsize.')
    it = iter(iterable)
    i = 0
    nexti = start
    while stop is None or nexti < stop:
        v = next(it, _END)
        if v is _END:
            return
        if i == nexti:
            yield v
            nexti += step
        i += 1


def product(*args, repeat=1):
    pools = [tuple(pool) for pool in args] * repeat
    result = [[]]
    for pool in pools:
        result = [x + [y] for x in result for y in pool]
    for prod in result:
        yield tuple(prod)


def permutations(iterable, r=None):
    pool = tuple(iterable)
    n = len(pool)
    r = n if r is None else r
    if r > n:
        return
    indices = list(range(n))
    cycles = list(range(n, n - r, -1))
    yield tuple([pool[i] for i in indices[:r]])
    while n:
        found = False
        for i in reversed(range(r)):
            cycles[i] -= 1
            if cycles[i] == 0:
                indices[i:] = indices[i + 1:] + indices[i:i + 1]
                cycles[i] = n - i
            else:
                j = cycles[i]
                indices[i], indices[-j] = indices[-j], indices[i]
                yield tuple([pool[i] for i in indices[:r]])
                found = True
                break
        if not found:
            return


def combinations(iterable, r):
    pool = tuple(iterable)
    n = len(pool)
    if r > n:
        return
    indices = list(range(r))
    yield tuple([pool[i] for i in indices])
    while True:
        found = -1
        for i in reversed(range(r)):
            if indices[i] != i + n - r:
                found = i
                break
        if found < 0:
            return
        i = found
        indices[i] += 1
        for j in range(i + 1, r):
            indices[j] = indices[j - 1] + 1
        yield tuple([pool[i] for i in indices])


def combinations_with_replacement(iterable, r):
    pool = tuple(iterable)
    n = len(pool)
    if not n and r:
        return
    indices = [0] * r
    yield tuple([pool[i] for i in indices])
    while True:
        found = -1
        for i in reversed(range(r)):
            if indices[i] != n - 1:
                found = i
                break
        if found < 0:
            return
        i = found
        indices[i:] = [indices[i] + 1] * (r - i)
        yield tuple([pool[i] for i in indices])


def _ident(x):
    return x


def groupby(iterable, key=None):
    keyfunc = _ident if key is None else key
    items = list(iterable)
    i = 0
    n = len(items)
    while i < n:
        k = keyfunc(items[i])
        j = i + 1
        while j < n and keyfunc(items[j]) == k:
            j += 1
        yield (k, iter(items[i:j]))
        i = j


def _add(a, b):
    return a + b


def accumulate(iterable, func=None, *, initial=None):
    it = iter(iterable)
    total = initial
    if initial is None:
        total = next(it, _END)
        if total is _END:
            return
    yield total
    f = _add if func is None else func
    for element in it:
        total = f(total, element)
        yield total


class _Fill:
    pass


def zip_longest(*args, fillvalue=None):
    iterators = [iter(it) for it in args]
    num_active = len(iterators)
    if not num_active:
        return
    while True:
        values = []
        for i in range(len(iterators)):
            it = iterators[i]
            if it is None:
                values.append(fillvalue)
                continue
            value = next(it, _END)
            if value is _END:
                num_active -= 1
                if not num_active:
                    return
                iterators[i] = None
                value = fillvalue
            values.append(value)
        yield tuple(values)


def starmap(function, iterable):
    for args in iterable:
        yield function(*args)


def takewhile(predicate, iterable):
    for x in iterable:
        if predicate(x):
            yield x
        else:
            break


def dropwhile(predicate, iterable):
    it = iter(iterable)
    for x in it:
        if not predicate(x):
            yield x
            break
    for x in it:
        yield x


def filterfalse(predicate, iterable):
    if predicate is None:
        predicate = bool
    for x in iterable:
        if not predicate(x):
            yield x


def compress(data, selectors):
    for d, s in zip(data, selectors):
        if s:
            yield d


class _TeeBuf:
    def __init__(self, it):
        self.it = it
        self.items = []


def _tee_gen(buf, start):
    i = start
    while True:
        if i < len(buf.items):
            yield buf.items[i]
        else:
            v = next(buf.it, _END)
            if v is _END:
                return
            buf.items.append(v)
            yield v
        i += 1


def tee(iterable, n=2):
    buf = _TeeBuf(iter(iterable))
    return tuple([_tee_gen(buf, 0) for i in range(n)])


def pairwise(iterable):
    it = iter(iterable)
    a = next(it, _END)
    if a is _END:
        return
    for b in it:
        yield (a, b)
        a = b
