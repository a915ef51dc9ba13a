class CM:
    def __init__(self, name, suppress=False):
        self.name = name
        self.suppress = suppress
    def __enter__(self):
        print("enter", self.name)
        return self
    def __exit__(self, t, v, tb):
        print("exit", self.name, t.__name__ if t else None, v)
        return self.suppress

with CM("a") as a:
    print("body", a.name)
with CM("b", True):
    raise ValueError("boom")
print("after suppress")
try:
    with CM("c"):
        raise KeyError("k")
except KeyError as e:
    print("caught", repr(e))
with CM("x") as x, CM("y") as y:
    print(x.name, y.name)
def f():
    for i in range(3):
        with CM(i):
            if i == 1:
                return "ret" + str(i)
            if i == 0:
                continue
print(f())
for i in range(2):
    with CM("br"):
        break
total = 0
class Quiet:
    def __init__(self): self.n = 0
    def __enter__(self): self.n += 1; return self.n
    def __exit__(self, *a):
        if a[0] is ZeroDivisionError:
            return True
q = Quiet()
total = 0
for i in range(3000):
    with q as k:
        total += k
        if i % 7 == 0:
            1 / 0
print(total, q.n)
try:
    with 5:
        pass
except TypeError as e:
    print(e)
gen = (x * x for x in range(5))
print(next(gen), next(gen), list(gen))
print(sum(x for x in range(10)))
