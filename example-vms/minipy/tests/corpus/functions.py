# Functions: defaults, keywords, *args/**kwargs, closures, recursion, lambdas.
def f(a, b=2, *args, c=10, **kw):
    return (a, b, args, c, sorted(kw.items()))
print(f(1))
print(f(1, 3, 4, 5, c=7, z=1, y=2))
print(f(b=5, a=0))
def counter():
    n = 0
    def inc(step=1):
        nonlocal n
        n += step
        return n
    return inc
c = counter()
c()
c()
print(c(10))
def make_adders():
    return [lambda x, i=i: x + i for i in range(3)]
print([g(10) for g in make_adders()])
def outer():
    x = 1
    def middle():
        def inner():
            return x + 1
        return inner()
    return middle()
print(outer())
def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)
print(fact(30))
def ack(m, n):
    if m == 0:
        return n + 1
    if n == 0:
        return ack(m - 1, 1)
    return ack(m - 1, ack(m, n - 1))
print(ack(2, 3))
g = 0
def setg():
    global g
    g = 42
setg()
print(g)
def varargs(*a, **k):
    return len(a), len(k)
print(varargs(*[1, 2, 3], **{"x": 1}))
args = (1, 2)
print(f(*args, c=3))
sq = lambda x: x * x
print(list(map(sq, [1, 2, 3])), list(filter(lambda x: x % 2, range(7))))
def deco(fn):
    def wrapper(*a):
        return "<" + str(fn(*a)) + ">"
    return wrapper
@deco
def hello(name):
    return "hi " + name
print(hello("bob"))
def kwonly(a, *, b):
    return a - b
print(kwonly(5, b=2))
def gen():
    yield 1
    yield 2
    return
print(list(gen()), sum(x for x in range(10)))
def fib_gen(n):
    a, b = 0, 1
    for _ in range(n):
        yield a
        a, b = b, a + b
print(list(fib_gen(10)))
it = iter([1, 2])
print(next(it), next(it), next(it, "done"))
def compose(*fs):
    def run(x):
        for fn in reversed(fs):
            x = fn(x)
        return x
    return run
print(compose(lambda x: x + 1, lambda x: x * 2)(5))
