# getattr with a name computed at run time: a loop over names must call
# each one, JIT or not (the name is a guard in the trace, not a constant).
import math
for name in ["sqrt", "floor", "sqrt", "floor", "exp", "floor", "sqrt", "floor", "ceil", "sqrt"]:
    f = getattr(math, name)
    print(name, f(2.5))


class P:
    def __init__(self):
        self.a, self.b, self.c = 1, 2, 3


p = P()
total = 0
for i in range(60):
    total += getattr(p, "abc"[i % 3])
    print(hasattr(p, "abz"[i % 3]), end=" ")
print()
print(total)

for i in range(40):
    setattr(p, "abc"[i % 3], i)
print(p.a, p.b, p.c)
