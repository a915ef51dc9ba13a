class A:
    def who(self):
        return "A"
    def chain(self):
        return ["A"]


class B(A):
    def who(self):
        return "B" + super().who()
    def chain(self):
        return ["B"] + super().chain()


class C(A):
    def who(self):
        return "C" + super().who()
    def chain(self):
        return ["C"] + super().chain()


class D(B, C):
    def who(self):
        return "D" + super().who()
    def chain(self):
        return ["D"] + super().chain()


print([k.__name__ for k in D.__mro__])
print(D().who(), D().chain())
print(D.__bases__ == (B, C), D.__base__ is B)
print(isinstance(D(), C), issubclass(D, A), issubclass(C, B))


class Mixin:
    greeting = "hi"
    def greet(self):
        return self.greeting + " " + self.name


class Named:
    def __init__(self, name):
        self.name = name


class Person(Named, Mixin):
    pass


p = Person("ann")
print(p.greet())
total = 0
for i in range(3000):
    total += len(D().who())
print(total)


class O1: pass
class O2: pass
class M1(O1, O2): pass
class M2(O2, O1): pass
try:
    class Z(M1, M2): pass
except TypeError as e:
    print(e)
try:
    class Y(A, A): pass
except TypeError as e:
    print(e)


class X: pass
class Y2(X): pass
try:
    class Bad(X, Y2): pass
except TypeError as e:
    print(e)
class E1(Exception): pass
class E2(Mixin, E1): pass
try:
    raise E2("mixed")
except E1 as e:
    print("caught", e, e.greeting)
print([k.__name__ for k in E2.__mro__])
