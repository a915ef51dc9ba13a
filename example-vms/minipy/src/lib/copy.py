"""Shallow and deep copy (after CPython's Lib/copy.py)."""


class Error(Exception):
    pass


error = Error

_ATOMIC = (type(None), int, float, bool, str, type, range, type(len))


def copy(x):
    cls = type(x)
    if cls in _ATOMIC or cls is tuple or cls is frozenset:
        return x
    if cls is list:
        return list(x)
    if cls is dict:
        return dict(x)
    if cls is set:
        return set(x)
    if hasattr(cls, '__copy__'):
        return x.__copy__()
    if isinstance(x, list):
        y = _new(cls)
        _copy_state(x, y)
        y.extend(x)
        return y
    if isinstance(x, dict):
        y = _new(cls)
        _copy_state(x, y)
        y.update(x)
        return y
    y = _new(cls)
    _copy_state(x, y)
    return y


def _new(cls):
    return object.__new__(cls)


def _copy_state(x, y):
    try:
        d = x.__dict__
    except AttributeError:
        return
    for k, v in d.items():
        setattr(y, k, v)


def deepcopy(x, memo=None, _nil=[]):
    if memo is None:
        memo = {}
    d = id(x)
    y = memo.get(d, _nil)
    if y is not _nil:
        return y
    cls = type(x)
    if cls in _ATOMIC or cls is type(deepcopy):
        y = x
    elif cls is list:
        y = []
        memo[d] = y
        for a in x:
            y.append(deepcopy(a, memo))
    elif cls is tuple:
        items = [deepcopy(a, memo) for a in x]
        if d in memo:
            return memo[d]
        same = True
        for i in range(len(x)):
            if items[i] is not x[i]:
                same = False
                break
        y = x if same else tuple(items)
    elif cls is dict:
        y = {}
        memo[d] = y
        for k, v in x.items():
            y[deepcopy(k, memo)] = deepcopy(v, memo)
    elif cls is set:
        y = set([deepcopy(a, memo) for a in x])
    elif cls is frozenset:
        y = frozenset([deepcopy(a, memo) for a in x])
    elif hasattr(cls, '__deepcopy__'):
        y = x.__deepcopy__(memo)
    else:
        y = _new(cls)
        memo[d] = y
        if isinstance(x, list):
            for a in x:
                y.append(deepcopy(a, memo))
        if isinstance(x, dict):
            for k, v in x.items():
                y[deepcopy(k, memo)] = deepcopy(v, memo)
        try:
            state = x.__dict__
        except AttributeError:
            state = None
        if state is not None:
            if hasattr(cls, '__setstate__'):
                y.__setstate__(deepcopy(dict(state), memo))
            else:
                for k, v in state.items():
                    setattr(y, k, deepcopy(v, memo))
    if y is not x:
        memo[d] = y
        _keep_alive(x, memo)
    return y


def _keep_alive(x, memo):
    k = id(memo)
    if k in memo:
        memo[k].append(x)
    else:
        memo[k] = [x]
