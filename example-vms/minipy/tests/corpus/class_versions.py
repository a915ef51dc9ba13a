# Per-class versions: a write to a class attribute changes lookups on that
# class and its subclasses (inside and outside compiled loops); creating
# classes changes nothing else.


class Base:
    def f(self):
        return 1


class Mid(Base):
    pass


class Leaf(Mid):
    def g(self):
        return 10


class Other:
    def f(self):
        return 100


objs = [Base(), Mid(), Leaf(), Other()]
total = 0
for i in range(6000):
    o = objs[i % 4]
    total += o.f()
    if i == 2000:
        Base.f = lambda self: 2          # Base, Mid and Leaf see it
    if i == 3000:
        Mid.f = lambda self: 3           # Mid and Leaf see it, Base not
    if i == 4000:
        Other.f = lambda self: 200       # only Other
    if i == 5000:
        del_me = type(o)
print(total)

# Classes created in a hot loop, each used right away.
made = 0
for i in range(3000):
    class Tmp(Base):
        def f(self):
            return i
    made += Tmp().f() + Leaf().f() + Leaf().g()
print(made)

# A class attribute (not a method) read in a loop and rebound from it.


class Counter:
    step = 1


s = 0
for i in range(5000):
    s += Counter.step
    if i % 1000 == 999:
        Counter.step += 1
print(s, Counter.step)


class Sub(Counter):
    pass


t = 0
for i in range(3000):
    t += Sub.step
    if i == 1500:
        Counter.step = 100
print(t)
