"""Container datatypes (after CPython's Lib/collections): deque,
defaultdict, OrderedDict, Counter and namedtuple as classes over builtin
lists, dicts and tuples (minipy cannot subclass builtin types, so
isinstance(x, dict) is False for them)."""

import operator as _operator

_NO = object()


class deque:
    def __init__(self, iterable=(), maxlen=None):
        if maxlen is not None and maxlen < 0:
            raise ValueError('maxlen must be non-negative')
        self._maxlen = maxlen
        self._d = []
        for x in iterable:
            self.append(x)

    @property
    def maxlen(self):
        return self._maxlen

    def append(self, x):
        self._d.append(x)
        if self._maxlen is not None and len(self._d) > self._maxlen:
            self._d.pop(0)

    def appendleft(self, x):
        self._d.insert(0, x)
        if self._maxlen is not None and len(self._d) > self._maxlen:
            self._d.pop()

    def pop(self):
        if not self._d:
            raise IndexError('pop from an empty deque')
        return self._d.pop()

    def popleft(self):
        if not self._d:
            raise IndexError('pop from an empty deque')
        return self._d.pop(0)

    def extend(self, iterable):
        for x in list(iterable):
            self.append(x)

    def extendleft(self, iterable):
        for x in list(iterable):
            self.appendleft(x)

    def rotate(self, n=1):
        k = len(self._d)
        if k <= 1:
            return
        n = n % k
        if n:
            self._d[:] = self._d[-n:] + self._d[:-n]

    def clear(self):
        self._d.clear()

    def copy(self):
        return deque(self._d, self._maxlen)

    def count(self, x):
        return self._d.count(x)

    def index(self, x, *args):
        for i in range(len(self._d)):
            if self._d[i] == x:
                return i
        raise ValueError('%r is not in deque' % (x,))

    def insert(self, i, x):
        if self._maxlen is not None and len(self._d) >= self._maxlen:
            raise IndexError('deque already at its maximum size')
        self._d.insert(i, x)

    def remove(self, value):
        for i in range(len(self._d)):
            if self._d[i] == value:
                del self._d[i]
                return
        raise ValueError('deque.remove(x): x not in deque')

    def reverse(self):
        self._d.reverse()

    def __len__(self):
        return len(self._d)

    def __bool__(self):
        return len(self._d) > 0

    def __iter__(self):
        return iter(list(self._d))

    def __reversed__(self):
        return iter(self._d[::-1])

    def __contains__(self, x):
        return x in self._d

    def __getitem__(self, i):
        if not -len(self._d) <= i < len(self._d):
            raise IndexError('deque index out of range')
        return self._d[i]

    def __setitem__(self, i, v):
        if not -len(self._d) <= i < len(self._d):
            raise IndexError('deque index out of range')
        self._d[i] = v

    def __delitem__(self, i):
        del self._d[i]

    def __eq__(self, other):
        if isinstance(other, deque):
            return self._d == other._d
        return False

    def __ne__(self, other):
        return not self == other

    def __add__(self, other):
        return deque(self._d + other._d, self._maxlen)

    def __repr__(self):
        if self._maxlen is None:
            return 'deque(%r)' % (self._d,)
        return 'deque(%r, maxlen=%d)' % (self._d, self._maxlen)


class _DictBase:
    """A dict-like wrapper around the builtin dict `_d`."""

    def __init__(self, *args, **kwargs):
        self._d = {}
        if args or kwargs:
            self.update(*args, **kwargs)

    def update(self, other=(), **kwargs):
        if isinstance(other, _DictBase):
            other = other._d
        if isinstance(other, dict):
            for k in other:
                self[k] = other[k]
        elif hasattr(other, 'keys'):
            for k in other.keys():
                self[k] = other[k]
        else:
            for k, v in other:
                self[k] = v
        for k in kwargs:
            self[k] = kwargs[k]

    def __getitem__(self, k):
        d = self._d
        if k in d:
            return d[k]
        return self.__missing__(k)

    def __missing__(self, k):
        raise KeyError(k)

    def __setitem__(self, k, v):
        self._d[k] = v

    def __delitem__(self, k):
        del self._d[k]

    def __contains__(self, k):
        return k in self._d

    def __len__(self):
        return len(self._d)

    def __bool__(self):
        return len(self._d) > 0

    def __iter__(self):
        return iter(list(self._d))

    def keys(self):
        return self._d.keys()

    def values(self):
        return self._d.values()

    def items(self):
        return self._d.items()

    def get(self, k, default=None):
        return self._d.get(k, default)

    def pop(self, k, *default):
        return self._d.pop(k, *default)

    def popitem(self):
        return self._d.popitem()

    def setdefault(self, k, default=None):
        if k not in self._d:
            self._d[k] = default
        return self._d[k]

    def clear(self):
        self._d.clear()

    def __eq__(self, other):
        if isinstance(other, _DictBase):
            return self._d == other._d
        if isinstance(other, dict):
            return self._d == other
        return False

    def __ne__(self, other):
        return not self == other


class defaultdict(_DictBase):
    def __init__(self, default_factory=None, *args, **kwargs):
        if default_factory is not None and not callable(default_factory):
            raise TypeError('first argument must be callable or None')
        self.default_factory = default_factory
        _DictBase.__init__(self, *args, **kwargs)

    def __missing__(self, k):
        if self.default_factory is None:
            raise KeyError(k)
        v = self.default_factory()
        self._d[k] = v
        return v

    def copy(self):
        return defaultdict(self.default_factory, self._d)

    def __repr__(self):
        f = self.default_factory
        if f is None:
            fr = 'None'
        elif isinstance(f, type):
            fr = "<class '%s'>" % f.__name__
        else:
            fr = repr(f)
        return 'defaultdict(%s, %r)' % (fr, self._d)


class OrderedDict(_DictBase):
    def move_to_end(self, key, last=True):
        v = self._d.pop(key)
        if last:
            self._d[key] = v
        else:
            rest = list(self._d.items())
            self._d.clear()
            self._d[key] = v
            for k, x in rest:
                self._d[k] = x

    def popitem(self, last=True):
        if not self._d:
            raise KeyError('dictionary is empty')
        if last:
            return self._d.popitem()
        k = next(iter(self._d))
        return (k, self._d.pop(k))

    def copy(self):
        return OrderedDict(self._d)

    def __eq__(self, other):
        if isinstance(other, OrderedDict):
            return list(self._d.items()) == list(other._d.items())
        return _DictBase.__eq__(self, other)

    def __reversed__(self):
        return iter(list(self._d)[::-1])

    def __repr__(self):
        if not self._d:
            return 'OrderedDict()'
        return 'OrderedDict(%r)' % (list(self._d.items()),)


class Counter(_DictBase):
    def __init__(self, iterable=None, **kwds):
        self._d = {}
        self.update(iterable, **kwds)

    def __missing__(self, key):
        return 0

    def total(self):
        return sum(self._d.values())

    def most_common(self, n=None):
        items = sorted(self._d.items(), key=_operator.itemgetter(1), reverse=True)
        if n is None:
            return items
        return items[:n]

    def elements(self):
        out = []
        for elem, count in self._d.items():
            for i in range(count):
                out.append(elem)
        return iter(out)

    def update(self, iterable=None, **kwds):
        if iterable is not None:
            if isinstance(iterable, _DictBase):
                iterable = iterable._d
            if isinstance(iterable, dict):
                for elem, count in iterable.items():
                    self._d[elem] = count + self._d.get(elem, 0)
            else:
                for elem in iterable:
                    self._d[elem] = self._d.get(elem, 0) + 1
        if kwds:
            self.update(kwds)

    def subtract(self, iterable=None, **kwds):
        if iterable is not None:
            if isinstance(iterable, _DictBase):
                iterable = iterable._d
            if isinstance(iterable, dict):
                for elem, count in iterable.items():
                    self._d[elem] = self._d.get(elem, 0) - count
            else:
                for elem in iterable:
                    self._d[elem] = self._d.get(elem, 0) - 1
        if kwds:
            self.subtract(kwds)

    def copy(self):
        return Counter(self._d)

    def __delitem__(self, elem):
        if elem in self._d:
            del self._d[elem]

    def __repr__(self):
        if not self._d:
            return 'Counter()'
        return 'Counter({%s})' % ', '.join(['%r: %r' % kv for kv in self.most_common()])

    def __add__(self, other):
        result = Counter()
        for elem, count in self._d.items():
            newcount = count + other[elem]
            if newcount > 0:
                result._d[elem] = newcount
        for elem, count in other._d.items():
            if elem not in self._d and count > 0:
                result._d[elem] = count
        return result

    def __sub__(self, other):
        result = Counter()
        for elem, count in self._d.items():
            newcount = count - other[elem]
            if newcount > 0:
                result._d[elem] = newcount
        for elem, count in other._d.items():
            if elem not in self._d and count < 0:
                result._d[elem] = 0 - count
        return result

    def __or__(self, other):
        result = Counter()
        for elem, count in self._d.items():
            other_count = other[elem]
            newcount = other_count if count < other_count else count
            if newcount > 0:
                result._d[elem] = newcount
        for elem, count in other._d.items():
            if elem not in self._d and count > 0:
                result._d[elem] = count
        return result

    def __and__(self, other):
        result = Counter()
        for elem, count in self._d.items():
            other_count = other[elem]
            newcount = count if count < other_count else other_count
            if newcount > 0:
                result._d[elem] = newcount
        return result

    def __pos__(self):
        result = Counter()
        for elem, count in self._d.items():
            if count > 0:
                result._d[elem] = count
        return result

    def __neg__(self):
        result = Counter()
        for elem, count in self._d.items():
            if count < 0:
                result._d[elem] = 0 - count
        return result


class _NTBase:
    _fields = ()
    _field_defaults = {}

    def __init__(self, *args, **kwargs):
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError('%s.__new__() takes %d positional arguments but %d were given' % (
                type(self).__name__, len(fields) + 1, len(args) + 1))
        vals = list(args)
        for name in fields[len(args):]:
            if name in kwargs:
                vals.append(kwargs.pop(name))
            elif name in self._field_defaults:
                vals.append(self._field_defaults[name])
            else:
                raise TypeError("%s.__new__() missing 1 required positional argument: '%s'" % (
                    type(self).__name__, name))
        for name in kwargs:
            if name in fields:
                raise TypeError("%s.__new__() got multiple values for argument '%s'" % (
                    type(self).__name__, name))
            raise TypeError("%s.__new__() got an unexpected keyword argument '%s'" % (
                type(self).__name__, name))
        self._t = tuple(vals)
        for i in range(len(fields)):
            object.__setattr__(self, fields[i], vals[i])

    def __setattr__(self, name, value):
        raise AttributeError("can't set attribute")

    def __getitem__(self, i):
        return self._t[i]

    def __len__(self):
        return len(self._t)

    def __iter__(self):
        return iter(self._t)

    def __contains__(self, x):
        return x in self._t

    def __eq__(self, other):
        if isinstance(other, _NTBase):
            return self._t == other._t
        return self._t == other

    def __ne__(self, other):
        return not self == other

    def __lt__(self, other):
        return self._t < tuple(other)

    def __le__(self, other):
        return self._t <= tuple(other)

    def __gt__(self, other):
        return self._t > tuple(other)

    def __ge__(self, other):
        return self._t >= tuple(other)

    def __hash__(self):
        return hash(self._t)

    def __add__(self, other):
        return self._t + tuple(other)

    def __repr__(self):
        return type(self).__name__ + '(' + ', '.join(
            ['%s=%r' % (self._fields[i], self._t[i]) for i in range(len(self._fields))]) + ')'

    def _asdict(self):
        return dict(zip(self._fields, self._t))

    def _replace(self, **kwds):
        vals = []
        for name in self._fields:
            if name in kwds:
                vals.append(kwds.pop(name))
            else:
                vals.append(getattr(self, name))
        if kwds:
            raise ValueError('Got unexpected field names: %r' % list(kwds))
        return type(self)(*vals)

    @classmethod
    def _make(cls, iterable):
        return cls(*iterable)

    def count(self, x):
        return self._t.count(x)

    def index(self, x):
        return self._t.index(x)


def namedtuple(typename, field_names, *, rename=False, defaults=None, module=None):
    if isinstance(field_names, str):
        field_names = field_names.replace(',', ' ').split()
    field_names = tuple([str(f) for f in field_names])
    seen = set()
    for name in field_names:
        if name.startswith('_') and not rename:
            raise ValueError('Field names cannot start with an underscore: %r' % name)
        if name in seen:
            raise ValueError('Encountered duplicate field name: %r' % name)
        seen.add(name)
    field_defaults = {}
    if defaults is not None:
        defaults = tuple(defaults)
        if len(defaults) > len(field_names):
            raise TypeError('Got more default values than field names')
        field_defaults = dict(zip(field_names[len(field_names) - len(defaults):], defaults))
    ns = {'_fields': field_names, '_field_defaults': field_defaults,
          '__module__': module if module is not None else '__main__'}
    cls = type(typename, (_NTBase,), ns)
    return cls

