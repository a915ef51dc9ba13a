# Classes, inheritance, super, dunders, properties, class attributes.
class Animal:
    kind = "animal"
    count = 0
    def __init__(self, name):
        self.name = name
        Animal.count += 1
    def speak(self):
        return self.name + " makes a sound"
    def __str__(self):
        return "Animal(" + self.name + ")"
class Dog(Animal):
    kind = "dog"
    def __init__(self, name, breed):
        super().__init__(name)
        self.breed = breed
    def speak(self):
        return super().speak() + " (woof)"
    def __repr__(self):
        return "Dog(%r, %r)" % (self.name, self.breed)
a = Animal("cat")
d = Dog("rex", "lab")
print(a.speak(), d.speak(), a, d, [d], str(d))
print(Animal.count, d.kind, a.kind, isinstance(d, Animal), isinstance(a, Dog), issubclass(Dog, Animal))
print(type(d).__name__, hasattr(d, "breed"), hasattr(d, "x"), getattr(d, "name"), getattr(d, "x", 5))
setattr(d, "x", 9)
print(d.x)
class V:
    def __init__(self, x, y):
        self.x, self.y = x, y
    def __add__(self, o):
        return V(self.x + o.x, self.y + o.y)
    def __mul__(self, k):
        return V(self.x * k, self.y * k)
    def __rmul__(self, k):
        return self * k
    def __eq__(self, o):
        return isinstance(o, V) and self.x == o.x and self.y == o.y
    def __lt__(self, o):
        return (self.x, self.y) < (o.x, o.y)
    def __len__(self):
        return 2
    def __getitem__(self, i):
        return (self.x, self.y)[i]
    def __repr__(self):
        return f"V({self.x}, {self.y})"
    def __hash__(self):
        return hash((self.x, self.y))
v = V(1, 2) + V(3, 4)
print(v, v * 2, 3 * v, v == V(4, 6), v != V(0, 0), len(v), v[0], list(v))
print(sorted([V(2, 1), V(1, 5), V(1, 2)]), max([V(2, 1), V(1, 5)]), V(1, 1) in [V(0, 0), V(1, 1)])
class Temp:
    def __init__(self):
        self._c = 0
    @property
    def c(self):
        return self._c
    @c.setter
    def c(self, v):
        self._c = v * 2
    @staticmethod
    def s(x):
        return x + 1
    @classmethod
    def make(cls):
        return cls()
t = Temp.make()
t.c = 5
print(t.c, Temp.s(1), t.s(2))
class Node:
    def __init__(self, v, nxt=None):
        self.v = v
        self.nxt = nxt
    def __iter__(self):
        n = self
        while n is not None:
            yield n.v
            n = n.nxt
lst = Node(1, Node(2, Node(3)))
print(list(lst), sum(lst))
class Countdown:
    def __init__(self, n):
        self.n = n
    def __iter__(self):
        return self
    def __next__(self):
        if self.n <= 0:
            raise StopIteration
        self.n -= 1
        return self.n
print([x for x in Countdown(4)])
class Base:
    def hello(self):
        return "base"
class Mid(Base):
    pass
class Leaf(Mid):
    def hello(self):
        return "leaf+" + super().hello()
print(Leaf().hello(), Mid().hello())
class Empty:
    pass
e = Empty()
e.a = 1
e.b = 2
print(e.a + e.b, e.__dict__)
print(Dog.kind, Animal.speak(d))
class Callable:
    def __call__(self, x):
        return x * 10
print(Callable()(4))
class Truth:
    def __init__(self, v):
        self.v = v
    def __bool__(self):
        return self.v
print(bool(Truth(False)), "y" if Truth(True) else "n")
