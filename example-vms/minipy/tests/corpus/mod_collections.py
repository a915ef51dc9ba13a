from collections import deque, defaultdict, OrderedDict, Counter, namedtuple

d = deque([1, 2, 3])
d.append(4)
d.appendleft(0)
print(d, len(d), d[0], d[-1])
print(d.pop(), d.popleft(), d)
d.extend([7, 8])
d.extendleft([-1, -2])
print(d)
d.rotate(2)
print(d)
d.rotate(-3)
print(d)
m = deque(maxlen=3)
for i in range(6):
    m.append(i)
print(m, m.maxlen)
m.appendleft(99)
print(m, list(m), 2 in m, 5 in m)
m2 = deque('abcde', 2)
print(m2)
try:
    deque().pop()
except IndexError as e:
    print('IndexError', e)
print(deque(), bool(deque()), deque([1]) == deque([1]))

dd = defaultdict(list)
for k, v in [('a', 1), ('b', 2), ('a', 3)]:
    dd[k].append(v)
print(dd, dd['a'], 'c' in dd, len(dd))
print(sorted(dd.items()))
cnt = defaultdict(int)
for ch in 'mississippi':
    cnt[ch] += 1
print(cnt)
print(dict(cnt))
nd = defaultdict(None)
try:
    nd['x']
except KeyError as e:
    print('KeyError', e)
print(defaultdict(lambda: 'z')['q'])

od = OrderedDict()
od['b'] = 1
od['a'] = 2
od['c'] = 3
print(od, list(od), list(od.keys()))
od.move_to_end('b')
print(od)
od.move_to_end('c', last=False)
print(od)
print(od.popitem(), od.popitem(last=False), od)
print(OrderedDict([('x', 1), ('y', 2)]) == OrderedDict([('y', 2), ('x', 1)]), OrderedDict(), OrderedDict(a=1))

c = Counter('abracadabra')
print(c)
print(c.most_common(2), c['a'], c['z'], sorted(c.elements()))
c.update('aaz')
print(c)
c.subtract({'a': 5, 'b': 1})
print(c)
c1 = Counter(a=3, b=1)
c2 = Counter(a=1, b=2)
print(c1 + c2, c1 - c2, c1 | c2, c1 & c2)
print(Counter(), Counter({'x': 2}).total())
words = 'the quick brown fox jumps over the lazy dog the end'.split()
print(Counter(words).most_common(3))

Point = namedtuple('Point', ['x', 'y'])
p = Point(1, 2)
print(p, p.x, p.y, p[0], p[1], len(p), Point._fields)
x, y = p
print(x + y, p == (1, 2), p == Point(1, 2))
print(p._replace(y=10), p._asdict(), Point._make([5, 6]))
P3 = namedtuple('P3', 'a b c', defaults=[0, 9])
print(P3(1), P3(1, 2), P3(1, 2, 3), P3(a=4, c=5), type(P3(1)).__name__)
Emp = namedtuple('Emp', 'name, age')
people = [Emp('bob', 30), Emp('al', 25)]
print(sorted(people, key=lambda e: e.age), max(people, key=lambda e: e.age).name)
try:
    Point(1)
except TypeError as e:
    print('TypeError', e)
q = deque()
total = 0
for i in range(400):
    q.append(i)
    if len(q) > 10:
        total += q.popleft()
print(total, len(q))
