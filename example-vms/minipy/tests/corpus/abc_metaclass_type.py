# The class of a class: abc.ABCMeta for abstract base classes, type else.
from abc import ABCMeta, ABC, abstractmethod


class Base(metaclass=ABCMeta):
    @abstractmethod
    def f(self):
        pass


class Sub(Base):
    def f(self):
        return 1


class Viaabc(ABC):
    pass


class Plain:
    pass


for c in [Base, Sub, Viaabc, ABC, Plain, ABCMeta, int]:
    print(c.__name__, type(c), isinstance(c, ABCMeta), isinstance(c, type))
print(ABCMeta, type(ABCMeta), issubclass(ABCMeta, type), type(Sub()) is Sub)
print(type(Base) is ABCMeta, type(Plain) is type, type(Sub).__name__)

# Hot loop: isinstance on classes of both kinds at one call site.
classes = [Base, Plain, Sub, int, Viaabc]
n = 0
for i in range(3000):
    c = classes[i % 5]
    if isinstance(c, ABCMeta):
        n += 1
    if type(c) is type:
        n += 100
print(n)
