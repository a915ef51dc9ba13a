from __future__ import annotations
from __future__ import division, print_function


def make(k):
    class K:
        scale = k * 10

        def f(self):
            return k * 2

        def g(self):
            return [k + i for i in range(3)]

        def __repr__(self):
            return f"K({k}, {self.scale})"

    return K


print(make(5)().f(), make(3)().g(), make(2)(), make(7).scale)


def counter():
    n = 0

    class Cnt:
        def inc(self):
            nonlocal n
            n += 1
            return n

    return Cnt()


c = counter()
c.inc()
print(c.inc())


def shadow(name):
    class S:
        name = "class attr"

        def who(self):
            return name

        kind = name

    return S


S = shadow("outer")
print(S().who(), S.name, S.kind)


def nested(a):
    def inner(b):
        class N:
            def total(self):
                return a + b

        return N().total()

    return inner


print(nested(1)(2))


def factory(base):
    class Sub(base):
        def __init__(self, v):
            super().__init__()
            self.v = v

        def show(self):
            return (type(self).__name__, self.v, base.__name__)

    return Sub


class Base:
    def __init__(self):
        self.init = True


x = factory(Base)(4)
print(x.show(), x.init)
y = factory(object)(5)
print(y.show())
total = 0
for i in range(200):
    total += make(i)().f() + factory(Base)(i).v
print(total)
