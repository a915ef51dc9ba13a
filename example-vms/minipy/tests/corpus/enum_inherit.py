# Enum inheritance rules: a member-less enum (methods only) may be a base,
# an enum with members may not (checked before the class body runs).
from enum import Enum, IntEnum


class Described(Enum):
    def describe(self):
        return self.name.lower() + "=" + str(self.value)

    @classmethod
    def names(cls):
        return [m.name for m in cls]

    def __str__(self):
        return "<" + self.name + ">"


class Color(Described):
    RED = 1
    GREEN = 2
    BLUE = 3


print(Color.RED.describe(), Color.names(), str(Color.GREEN), repr(Color.BLUE))
print(isinstance(Color.RED, Described), issubclass(Color, Described), issubclass(Color, Enum))
print(Color(2), Color["BLUE"], len(Color), [c.value for c in Color])


class Loud(Described):
    def describe(self):
        return super().describe().upper()


class Size(Loud):
    S = 1
    M = 2


print([s.describe() for s in Size], Size.names())


class Numbered(IntEnum):
    def double(self):
        return self.value * 2


class Level(Numbered):
    LOW = 1
    HIGH = 5


print(Level.HIGH.double(), Level.LOW.value, str(Level.HIGH))

for base in [Color, Size, Level]:
    try:
        class More(base):
            print("body ran")   # never: the check comes first
            EXTRA = 9
        print("made", More)
    except TypeError as e:
        print("TypeError:", e)

try:
    class Empty(Color):
        pass
except TypeError as e:
    print("TypeError:", e)


class Mixin:
    def hi(self):
        return "hi " + self.name


try:
    class Mixed(Mixin, Color):
        X = 1
except TypeError as e:
    print("TypeError:", e)


class WithMixin(Mixin, Described):
    A = 1


print(WithMixin.A.hi(), WithMixin.A.describe())
