# minipy's prelude: builtins written in Python. They run in the builtins
# module, are JIT-compiled like user code, and are the guest-level
# fallbacks (`_slow_<name>`) of Rust builtins that met user objects.

NotImplemented = object()
Ellipsis = None
_NOARG = object()


def map(f, *its):
    if len(its) == 1:
        return iter([f(x) for x in its[0]])
    return iter([f(*a) for a in zip(*its)])


def filter(f, it):
    if f is None:
        return iter([x for x in it if x])
    return iter([x for x in it if f(x)])


def _slow_str(x):
    t = type(x)
    if hasattr(t, '__str__'):
        return t.__str__(x)
    return _slow_repr(x)


def _slow_repr(x):
    if isinstance(x, list):
        return '[' + ', '.join([repr(e) for e in x]) + ']'
    if isinstance(x, tuple):
        if len(x) == 1:
            return '(' + repr(x[0]) + ',)'
        return '(' + ', '.join([repr(e) for e in x]) + ')'
    if isinstance(x, dict):
        return '{' + ', '.join([repr(k) + ': ' + repr(v) for k, v in x.items()]) + '}'
    if isinstance(x, set):
        return '{' + ', '.join([repr(e) for e in x]) + '}'
    n = type(x).__name__
    if n == 'dict_keys' or n == 'dict_values' or n == 'dict_items':
        return n + '(' + _slow_repr(list(x)) + ')'
    t = type(x)
    if hasattr(t, '__repr__'):
        return t.__repr__(x)
    return '<' + t.__name__ + ' object>'


def _slow_print(*args, sep=' ', end='\n', flush=False):
    if sep is None:
        sep = ' '
    if end is None:
        end = '\n'
    _write(sep.join([str(a) for a in args]) + end)


def _msort(idx, keys, reverse):
    n = len(idx)
    if n <= 1:
        return idx
    mid = n // 2
    a = _msort(idx[:mid], keys, reverse)
    b = _msort(idx[mid:], keys, reverse)
    out = []
    i = 0
    j = 0
    na = len(a)
    nb = len(b)
    while i < na and j < nb:
        if reverse:
            take_b = keys[a[i]] < keys[b[j]]
        else:
            take_b = keys[b[j]] < keys[a[i]]
        if take_b:
            out.append(b[j])
            j += 1
        else:
            out.append(a[i])
            i += 1
    while i < na:
        out.append(a[i])
        i += 1
    while j < nb:
        out.append(b[j])
        j += 1
    return out


def _slow__argsort(keys, reverse):
    return _msort(list(range(len(keys))), keys, reverse)


def _slow_sorted(it, key=None, reverse=False):
    items = list(it)
    if key is None:
        keys = items
    else:
        keys = [key(x) for x in items]
    return [items[i] for i in _argsort(keys, reverse)]


def _slow_list_sort(lst, key=None, reverse=False):
    lst[:] = _slow_sorted(lst, key, reverse)


def _slow_min(*args, key=None, default=_NOARG):
    return _minmax(args, key, default, False, 'min')


def _slow_max(*args, key=None, default=_NOARG):
    return _minmax(args, key, default, True, 'max')


def _minmax(args, key, default, want_max, name):
    if len(args) == 1:
        items = list(args[0])
    else:
        items = list(args)
    if not items:
        if default is not _NOARG:
            return default
        raise ValueError(name + '() arg is an empty sequence')
    best = items[0]
    bk = best if key is None else key(best)
    for x in items[1:]:
        k = x if key is None else key(x)
        if (bk < k) if want_max else (k < bk):
            best = x
            bk = k
    return best


def _slow_list(it):
    r = []
    for x in it:
        r.append(x)
    return r


def _slow_tuple(it):
    return tuple(_slow_list(it))


def _slow_set(it):
    return set(_slow_list(it))


def _slow_frozenset(it):
    return frozenset(_slow_list(it))


def _slow_sum(it, start=0):
    for x in it:
        start = start + x
    return start


def _slow_any(it):
    for x in it:
        if x:
            return True
    return False


def _slow_all(it):
    for x in it:
        if not x:
            return False
    return True


def _slow_enumerate(it, start=0):
    return enumerate(_slow_list(it), start)


def _slow_zip(*its):
    return zip(*[_slow_list(i) for i in its])


def _slow_reversed(x):
    if hasattr(type(x), '__reversed__'):
        return type(x).__reversed__(x)
    return reversed(_slow_list(x))


def _slow_str_join(s, it):
    return s.join(_slow_list(it))


def _slow_list_extend(lst, it):
    for x in it:
        lst.append(x)


def _slow_dict(it=None, **kw):
    d = {}
    if it is not None and hasattr(type(it), 'keys'):
        for k in it.keys():
            d[k] = it[k]
    elif it is not None:
        for k, v in it:
            d[k] = v
    for k in kw:
        d[k] = kw[k]
    return d


def _slow_dict_update(d, it=None, **kw):
    if it is not None:
        for k, v in it:
            d[k] = v
    for k in kw:
        d[k] = kw[k]


def _slow_set_update(s, *its):
    for it in its:
        for x in it:
            s.add(x)


def _slow_int(x, base=10):
    return type(x).__int__(x)


def _slow_float(x):
    return type(x).__float__(x)


def _slow_abs(x):
    return type(x).__abs__(x)


def _slow_hash(x):
    return type(x).__hash__(x)


def _slow_bool(x):
    if x:
        return True
    return False


def _slow_len(x):
    return type(x).__len__(x)


def _slow_str_format(s, *args, **kw):
    return s.format(*[str(a) for a in args], **kw)


def _slow_eq(a, b):
    if isinstance(a, (list, tuple)) and type(a) is type(b):
        if len(a) != len(b):
            return False
        for i in range(len(a)):
            if not (a[i] == b[i]):
                return False
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        if len(a) != len(b):
            return False
        for k in a:
            if k not in b or not (a[k] == b[k]):
                return False
        return True
    return a is b


def _slow_ne(a, b):
    return not _slow_eq(a, b)


def _slow_in(x, c):
    for e in c:
        if e is x or e == x:
            return True
    return False


def _slow_notin(x, c):
    return not _slow_in(x, c)


def _seqcmp(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if not (a[i] == b[i]):
            if a[i] < b[i]:
                return -1
            return 1
    return len(a) - len(b)


def _slow_lt(a, b):
    return _seqcmp(a, b) < 0


def _slow_le(a, b):
    return _seqcmp(a, b) <= 0


def _slow_gt(a, b):
    return _seqcmp(a, b) > 0


def _slow_ge(a, b):
    return _seqcmp(a, b) >= 0


def _slow_list_index(lst, x):
    for i in range(len(lst)):
        if lst[i] == x:
            return i
    raise ValueError(repr(x) + ' is not in list')


def _slow_list_remove(lst, x):
    del lst[_slow_list_index(lst, x)]


def _slow_list_count(lst, x):
    n = 0
    for e in lst:
        if e == x:
            n += 1
    return n


def _getitem_iter(obj):
    i = 0
    while True:
        try:
            v = obj[i]
        except IndexError:
            return
        yield v
        i += 1
