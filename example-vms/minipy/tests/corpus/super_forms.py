# super() in its common forms, including chains that reach object.
class A:
    def __init__(self):
        super().__init__()
        self.a = 1

    def who(self):
        return "A"


class B(A):
    def __init__(self, x, *rest):
        super().__init__()
        self.x = x
        self.rest = rest

    def who(self):
        return "B>" + super().who()


class C(B):
    def __init__(self, *args):
        super().__init__(*args)

    def who(self):
        return "C>" + super(C, self).who()


c = C(1, 2, 3)
print(c.a, c.x, c.rest, c.who())


class Plain:
    def __init__(self, v):
        super().__init__()
        self.v = v

    def __repr__(self):
        return "Plain(" + str(self.v) + ")" + super().__repr__()[:0]

    def __str__(self):
        return super().__str__()[:7]


p = Plain(5)
print(p.v, repr(p), str(p))


class Base:
    def __init__(self, name, **kw):
        self.name = name
        self.kw = kw

    @classmethod
    def make(cls, n):
        return cls(n)

    @staticmethod
    def s():
        return "static"


class Derived(Base):
    def __init__(self, name, extra=0, **kw):
        super().__init__(name, **kw)
        self.extra = extra

    @classmethod
    def make(cls, n):
        o = super().make(n)
        o.extra = 99
        return o

    def s2(self):
        return super().s()


d = Derived("d", extra=4, color="red")
print(d.name, d.extra, d.kw)
e = Derived.make("e")
print(type(e).__name__, e.name, e.extra, e.s2())


# Diamond: super follows the MRO of the instance, not the static base.
class Root:
    def __init__(self):
        print("Root")
        super().__init__()


class Left(Root):
    def __init__(self):
        print("Left")
        super().__init__()


class Right(Root):
    def __init__(self):
        print("Right")
        super().__init__()


class Bottom(Left, Right):
    def __init__(self):
        print("Bottom")
        super(Bottom, self).__init__()


Bottom()
print([k.__name__ for k in Bottom.__mro__])


# Exceptions subclassing with super().__init__(msg).
class MyError(ValueError):
    def __init__(self, msg, code):
        super().__init__(msg)
        self.code = code


try:
    raise MyError("bad", 7)
except ValueError as ex:
    print(type(ex).__name__, ex, ex.args, ex.code)


# super() in a loop (JIT): many instances.
class Counter:
    def __init__(self, n):
        self.n = n


class Sub(Counter):
    def __init__(self, n):
        super().__init__(n * 2)


t = 0
for i in range(300):
    t += Sub(i).n
print(t)

# Two-argument form outside a method.
print(super(Derived, d).s())
try:
    super().__init__
except RuntimeError as ex:
    print("RuntimeError", ex)
