# Types changing midway through hot loops; polymorphic call sites.
def add(a, b):
    return a + b
acc = 0
for i in range(3000):
    if i < 1500:
        acc = add(acc, i)
    elif i < 2000:
        acc = add(acc, 0.5)
    else:
        acc = add(acc, i * 10 ** 15)
print(acc)
vals = [1, 2.5, "s", [1], (2,), None, True, 10 ** 30]
out = []
for i in range(2400):
    v = vals[i % len(vals)]
    out.append(type(v).__name__)
print(out[:16], len(out))
class A:
    def f(self):
        return 1
class B:
    def f(self):
        return 2
class C(A):
    def f(self):
        return 3
objs = [A(), B(), C()]
total = 0
for i in range(4000):
    total += objs[(i // 500) % 3].f()
print(total)
total = 0
for i in range(4000):
    total += objs[i % 3].f()
print(total)
x = 0
for i in range(3000):
    if i == 2500:
        x = float(x)
    x = x + 1
print(x)
s = ""
for i in range(2000):
    s = s + str(i % 10)
print(len(s), s[:20])
mixed = 0
for i in range(3000):
    mixed += (i % 3 == 0) + 1.0 * (i % 2)
print(mixed)
def poly(x):
    return x * 2
r = []
for i in range(3000):
    r.append(poly(i) if i % 4 else poly(str(i)))
print(r[:8], r[-1])
flag = True
n = 0
for i in range(3000):
    if flag:
        n += 1
    else:
        n -= 1
    if i == 1700:
        flag = None
print(n)
