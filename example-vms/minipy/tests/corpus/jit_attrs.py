# Maps and class versions under change: attributes added after loops were
# compiled, methods replaced while a loop runs, class attributes changed.
class P:
    def __init__(self, x):
        self.x = x
    def get(self):
        return self.x
ps = [P(i) for i in range(10)]
s = 0
for i in range(4000):
    p = ps[i % 10]
    s += p.get()
    if i == 2000:
        for q in ps:
            q.y = 100
    if i > 2000:
        s += p.y
print(s)
def get2(self):
    return self.x * 2
s = 0
for i in range(4000):
    s += ps[i % 10].get()
    if i == 2500:
        P.get = get2
print(s)
class K:
    factor = 1
    def val(self):
        return self.factor
k = K()
s = 0
for i in range(4000):
    s += k.val()
    if i == 3000:
        K.factor = 5
print(s)
s = 0
for i in range(4000):
    s += k.val()
    if i == 1000:
        k.factor = 7
print(s)
class Shape:
    def area(self):
        return 0
class Sq(Shape):
    def __init__(self, a):
        self.a = a
    def area(self):
        return self.a * self.a
class Rect(Shape):
    def __init__(self, w, h):
        self.w = w
        self.h = h
    def area(self):
        return self.w * self.h
shapes = [Sq(2), Rect(2, 3), Shape(), Sq(3)]
tot = 0
for i in range(5000):
    tot += shapes[i % 4].area()
print(tot)
objs = []
for i in range(3000):
    o = P(i)
    if i % 3 == 0:
        o.extra = i
    objs.append(o)
print(sum(o.extra for o in objs if hasattr(o, "extra")))
class Counter:
    def __init__(self):
        self.n = 0
    def inc(self):
        self.n += 1
c = Counter()
for i in range(5000):
    c.inc()
    if i == 4000:
        Counter.inc = lambda self: setattr(self, "n", self.n + 10)
print(c.n)
