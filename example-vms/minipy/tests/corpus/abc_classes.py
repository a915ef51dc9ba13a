from abc import ABC, abstractmethod


class Shape(ABC):
    @abstractmethod
    def area(self):
        return 0

    @abstractmethod
    def name(self):
        pass

    def describe(self):
        return self.name() + " " + str(self.area())


class Half(Shape):
    def area(self):
        return super().area() + 1


class Square(Half):
    def __init__(self, s):
        self.s = s

    def area(self):
        return self.s * self.s

    def name(self):
        return "square"


for cls in (Shape, Half):
    try:
        cls()
    except TypeError as e:
        print(e)
print(Square(3).describe())
print(isinstance(Square(2), Shape), issubclass(Square, ABC))
total = 0
for i in range(2000):
    total += Square(i % 5).area()
print(total)


class NotAbc:
    @abstractmethod
    def f(self):
        return 1


print(NotAbc().f())
