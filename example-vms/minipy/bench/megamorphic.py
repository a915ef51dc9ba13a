# Megamorphic code: one loop over objects of 300 classes (made at run time,
# each with its own attribute layout), calling a method whose branches go a
# different way per class and per value. A tracing JIT sees a new class at
# nearly every guard; it must stay bounded (bridges, memory) and not fall
# far behind the interpreter.


def make_class(k):
    class Shape:
        def __init__(self, v):
            self.v = v
            if k % 2:
                self.extra = k
            if k % 5 == 0:
                self.more = v * 2

        def area(self, i):
            v = self.v
            if k % 3 == 0:
                v = v + i % 7
            elif k % 3 == 1:
                v = v * 2 - (i & 3)
            if v & 1:
                v = v + 1
            if k % 2:
                v = v + self.extra
            if k % 5 == 0:
                v = v - self.more // 4
            return v

    Shape.__name__ = "Shape%d" % k
    return Shape


def main():
    classes = [make_class(k) for k in range(300)]
    objs = []
    for i in range(3000):
        objs.append(classes[(i * 7919) % 300](i % 97))
    total = 0
    for rnd in range(40):
        for i in range(len(objs)):
            o = objs[i]
            total += o.area(i + rnd)
            if total > 1000000007:
                total -= 1000000007
    print(total)


main()
