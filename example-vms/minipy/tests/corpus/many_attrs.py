# Instances with few and many attributes: the first four live in the
# object, the rest in an overflow array that grows; reads and writes of
# both kinds in hot loops, attributes added late and deleted.


class Wide:
    def __init__(self, n):
        for i in range(n):
            setattr(self, 'a%d' % i, i)


objs = [Wide(n) for n in (0, 1, 4, 5, 10, 11, 17)]
for o in objs:
    print(len(o.__dict__), sorted(o.__dict__.items())[-2:])

total = 0
w = Wide(17)
for i in range(5000):
    w.a3 = w.a3 + 1
    w.a4 = w.a4 + 2
    w.a16 = w.a16 + 3
    total += w.a0 + w.a3 + w.a4 + w.a10 + w.a16
print(total, w.a3, w.a4, w.a16)


class P:
    def __init__(self, x, y):
        self.x = x
        self.y = y


ps = [P(i, -i) for i in range(50)]
s = 0
for i in range(4000):
    p = ps[i % 50]
    if i == 2000:
        for q in ps:
            q.z = 1           # a new attribute after the loop is compiled
            q.a = 2
            q.b = 3
            q.c = 4           # fifth, sixth, seventh: overflow
    s += p.x - p.y + getattr(p, 'c', 0)
print(s, ps[3].__dict__)
del ps[3].y
print(hasattr(ps[3], 'y'), ps[3].__dict__)
try:
    ps[3].y
except AttributeError as e:
    print('AttributeError', e)
