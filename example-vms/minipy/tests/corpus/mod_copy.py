import copy


class Pt:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __repr__(self):
        return 'Pt(%r, %r)' % (self.x, self.y)


class Custom:
    def __init__(self, v):
        self.v = v

    def __copy__(self):
        print('__copy__ called')
        return Custom(self.v + 1)

    def __deepcopy__(self, memo):
        print('__deepcopy__ called', type(memo).__name__)
        return Custom(self.v * 10)


a = [1, [2, 3], {'k': [4]}]
b = copy.copy(a)
c = copy.deepcopy(a)
a[1].append(99)
a[2]['k'].append(5)
print(a)
print(b)
print(c)
print(b[1] is a[1], c[1] is a[1])
t = (1, 2, (3, 4))
print(copy.deepcopy(t) is t, copy.copy(t) is t)
t2 = (1, [2])
t3 = copy.deepcopy(t2)
print(t3, t3 is t2, t3[1] is t2[1])
p = Pt(1, [2, 3])
p2 = copy.copy(p)
p3 = copy.deepcopy(p)
p.y.append(4)
print(p, p2, p3, type(p3).__name__, p2.y is p.y, p3.y is p.y)
cu = Custom(5)
print(copy.copy(cu).v, copy.deepcopy(cu).v)
shared = [1, 2]
outer = [shared, shared]
dc = copy.deepcopy(outer)
print(dc, dc[0] is dc[1], dc[0] is shared)
rec = [1]
rec.append(rec)
rc = copy.deepcopy(rec)
print(rc[1] is rc, rc[0])
memo = {}
x = [1, 2]
y = copy.deepcopy([x, x], memo)
print(y[0] is y[1], id(x) in memo)
s = {1, 2}
print(copy.copy(s) == s, copy.copy(s) is s, copy.deepcopy({'a': s}))
print(copy.copy(5), copy.deepcopy('str'), copy.copy(None), copy.deepcopy(3.5))
print(copy.deepcopy({'a': (1, [Pt(0, 0)])}))
total = 0
for i in range(200):
    q = copy.deepcopy([i, [i, i + 1]])
    total += q[1][1]
print(total)
