# IntEnum members are ints: arithmetic, comparison, indexing, formatting.
from enum import IntEnum, Enum


class Level(IntEnum):
    LOW = 1
    MID = 2
    HIGH = 3


class Color(Enum):
    RED = 1


print(Level.LOW + 1, 1 + Level.LOW, Level.HIGH - Level.LOW, Level.MID * 10, 7 // Level.MID)
print(Level.HIGH > 2, 2 < Level.HIGH, Level.LOW == 1, 1 == Level.LOW, Level.LOW != 1, Level.MID >= 2)
print(int(Level.LOW), float(Level.MID), -Level.HIGH, abs(Level.LOW), Level.HIGH % 2, Level.HIGH | 4)
print(["zero", "one", "two", "three"][Level.HIGH], (10, 20, 30)[Level.MID])
print(str(Level.LOW), repr(Level.LOW), format(Level.HIGH), f"{Level.MID}", f"{Level.MID:>4}|")
print("{} {}".format(Level.LOW, Level.HIGH), "%s" % Level.MID)
print(Level(2), Level(2) is Level.MID, Level.MID.name, Level.MID.value, Level["HIGH"])
print(list(Level), len(Level), sorted([Level.HIGH, 0, Level.LOW, 2]))
print(hash(Level.MID) == hash(2), {Level.LOW: "a"}[1], {1: "b"}[Level.LOW])
print(str(Color.RED), repr(Color.RED), Color.RED == 1)
print(max(Level), min(Level.HIGH, Level.MID), sum([Level.LOW, Level.MID]))

print(list(range(Level.HIGH)), "abc"[Level.LOW], [0] * Level.MID, hex(Level.HIGH), Level.HIGH << 2)
print(round(Level.MID), divmod(Level.HIGH, 2), isinstance(Level.LOW, int), isinstance(Level.LOW, Level))
print(isinstance(Color.RED, int), Level.HIGH in [3], 3 in [Level.HIGH], "%d" % Level.HIGH)

# Hot loop: members in arithmetic, comparisons and indexing.
counts = [0, 0, 0, 0]
acc = 0
levels = [Level.LOW, Level.MID, Level.HIGH]
for i in range(3000):
    lv = levels[i % 3]
    counts[lv] += 1
    if lv > Level.LOW:
        acc += lv * 2
    else:
        acc -= lv + 1
print(counts, acc)
