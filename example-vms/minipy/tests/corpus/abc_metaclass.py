# `metaclass=ABCMeta` behaves like deriving from ABC; `metaclass=type` is
# the default.
from abc import ABCMeta, abstractmethod, ABC


class Base(metaclass=ABCMeta):
    @abstractmethod
    def run(self):
        pass

    @abstractmethod
    def stop(self):
        pass

    def both(self):
        return self.run() + "/" + self.stop()


class Half(Base):
    def run(self):
        return "run"


class Full(Half):
    def stop(self):
        return "stop"


for cls in [Base, Half, Full]:
    try:
        o = cls()
        print(cls.__name__, "ok", o.both())
    except TypeError as e:
        print(cls.__name__, "TypeError:", e)

print(sorted(Base.__abstractmethods__), sorted(Half.__abstractmethods__))
print(isinstance(Full(), Base), issubclass(Full, Base))
print(ABCMeta.__name__, ABCMeta.__module__, issubclass(ABCMeta, type))


class Plain(metaclass=type):
    def hello(self):
        return "hello"


print(Plain().hello(), type(Plain) is type)


# A base with a metaclass and a mixin.
class Mixin:
    def tag(self):
        return "mixin"


class Shape(Mixin, metaclass=ABCMeta):
    @abstractmethod
    def area(self):
        ...


class Sq(Shape):
    def __init__(self, s):
        self.s = s

    def area(self):
        return self.s * self.s


try:
    Shape()
except TypeError as e:
    print("TypeError:", e)
print(Sq(3).area(), Sq(2).tag())


# Both spellings together.
class Both(ABC, metaclass=ABCMeta):
    @abstractmethod
    def f(self):
        pass


try:
    Both()
except TypeError as e:
    print("TypeError:", e)
