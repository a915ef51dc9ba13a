import functools
from functools import reduce, partial, lru_cache, cache, wraps, cmp_to_key, total_ordering

print(reduce(lambda a, b: a * b, [1, 2, 3, 4, 5]), reduce(lambda a, b: a + b, [], 10))
print(reduce(lambda a, b: a + [b], 'abc', []))
try:
    reduce(lambda a, b: a, [])
except TypeError as e:
    print('TypeError', e)


def power(base, exp, mod=None):
    r = base ** exp
    return r if mod is None else r % mod


sq = partial(power, exp=2)
cube = partial(power, exp=3)
two_to = partial(power, 2)
print(sq(5), cube(3), two_to(10), two_to(10, mod=1000), sq(7, mod=10))
print(sq.func is power, sq.args, sq.keywords, two_to.args)
p2 = partial(two_to, 5)
print(p2(), p2.args)


@lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


print(fib(80), fib.cache_info())


@lru_cache
def sq_cached(x):
    print('computing', x)
    return x * x


print(sq_cached(3), sq_cached(3), sq_cached(4))
print(sq_cached.cache_info())
sq_cached.cache_clear()
print(sq_cached.cache_info())


@lru_cache(maxsize=2)
def ident(x):
    print('miss', x)
    return x


for v in [1, 2, 1, 3, 2, 1]:
    ident(v)
print(ident.cache_info())


@cache
def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


print(fact(30), fact.cache_info().hits, fact.cache_info().misses)


def logged(func):
    @wraps(func)
    def wrapper(*args, **kwargs):
        print('calling', func.__name__)
        return func(*args, **kwargs)
    return wrapper


@logged
def add(a, b=1):
    return a + b


print(add(2, b=5), add.__name__, add.__wrapped__.__name__, add.__module__)


def compare_len(a, b):
    return len(a) - len(b)


words = ['ccc', 'a', 'bb', 'dddd', 'ee']
print(sorted(words, key=cmp_to_key(compare_len)))
print(sorted(words, key=cmp_to_key(lambda a, b: (a > b) - (a < b)), reverse=True))
print(max(words, key=cmp_to_key(compare_len)))


@total_ordering
class Version:
    def __init__(self, major, minor):
        self.major = major
        self.minor = minor

    def __eq__(self, other):
        return (self.major, self.minor) == (other.major, other.minor)

    def __lt__(self, other):
        return (self.major, self.minor) < (other.major, other.minor)

    def __repr__(self):
        return 'V%d.%d' % (self.major, self.minor)


a, b = Version(1, 2), Version(1, 10)
print(a < b, a > b, a <= b, a >= b, a == b, a != b, a <= Version(1, 2), a >= Version(1, 2))
print(sorted([Version(2, 0), Version(1, 5), Version(1, 0)]))


@total_ordering
class Rev:
    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        return self.v == other.v

    def __gt__(self, other):
        return self.v > other.v


print(Rev(1) < Rev(2), Rev(1) >= Rev(2), Rev(3) <= Rev(3))
total = 0
inc = partial(lambda a, b, c=0: a + b + c, 1)
for i in range(300):
    total += inc(i, c=1) + fib(i % 50) % 7
print(total)
