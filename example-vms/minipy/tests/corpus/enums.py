from enum import Enum, auto


class Color(Enum):
    RED = 1
    GREEN = 2
    BLUE = 3
    CRIMSON = 1

    def describe(self):
        return self.name.lower() + "=" + str(self.value)


print(Color.RED, repr(Color.GREEN), Color.BLUE.name, Color.BLUE.value)
print(Color(2), Color(1) is Color.RED, Color.CRIMSON is Color.RED)
print([c.name for c in Color], len(Color))
print(Color["BLUE"], Color.RED == Color.RED, Color.RED == Color.GREEN, Color.RED != 1)
print(Color.GREEN in Color, type(Color.RED).__name__, isinstance(Color.RED, Color))
print(Color.BLUE.describe(), str(Color.RED), f"{Color.GREEN!r}")
print(list(Color))
d = {Color.RED: "stop", Color.GREEN: "go"}
print(d[Color.RED], d.get(Color.BLUE, "?"))


class Shape(Enum):
    CIRCLE = auto()
    SQUARE = auto()
    TRIANGLE = "tri"


print(list(Shape), Shape.SQUARE.value)
try:
    Color(7)
except ValueError as e:
    print(e)
try:
    Color["PINK"]
except KeyError as e:
    print("KeyError", e)
n = 0
for i in range(3000):
    c = Color(i % 3 + 1)
    if c is Color.GREEN:
        n += 1
print(n)
