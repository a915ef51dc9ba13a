class A:
    def __init__(self, x=0):
        super().__init__()
        self.x = x

    def __repr__(self):
        return "A(%r)" % self.x

    @classmethod
    def make(cls):
        return cls(1)

    def hello(self):
        return "A.hello"


class B(A):
    def __init__(self, x, y=0):
        super().__init__(x)
        self.y = y

    def __repr__(self):
        return super().__repr__() + "+B"

    @classmethod
    def make(cls):
        obj = super().make()
        obj.y = 9
        return obj

    def hello(self):
        return "B>" + super(B, self).hello()


class C(A):
    def hello(self):
        return "C>" + super().hello()


class D(B, C):
    def hello(self):
        return "D>" + super().hello()


print(B(1, 2), B(1, 2).y, B.make(), B.make().y)
print(D(3, 4).hello(), [k.__name__ for k in D.__mro__])


class E:
    def __init__(self):
        super(E, self).__init__()
        self.ok = True

    def __str__(self):
        return "E:" + super().__str__()[:3]

    def __eq__(self, other):
        return super().__eq__(other)

    def __hash__(self):
        return super().__hash__() * 0 + 7


e = E()
print(e.ok, str(e), e == e, e == 1, hash(e))


for i in range(300):
    B(i, i)
print("done")
