# Numbers, strings, containers, control flow.
a, b = 7, 3
print(a + b, a - b, a * b, a / b, a // b, a % b, a ** b, -a // b, -a % b)
print(a & b, a | b, a ^ b, a << 2, a >> 1, ~a)
print(1.5 + 2, 3.0 * 2, 7.0 / 2, 7.5 // 2, 7.5 % 2, 2 ** 0.5)
print(1e22, 1.0, 0.1, 1/3, 123456789.125, -0.0, 1e-5, 100.0, 1e16, 12345678901234567.0)
print(float("inf"), -float("inf"), float("nan"))
print(int("42"), int(3.9), int(-3.9), float("2.5"), str(12), repr("a'b"), repr('x"y'))
print(True + True, True and 5, 0 or "x", not 0, None is None)
x = 5
print(1 < x < 10, 1 < x > 10, x == 5 != 6)
s = "Hello, World"
print(s.upper(), s.lower(), s[0], s[-1], s[2:5], s[::-1], s[::2], len(s))
print(s.find("World"), s.find("zz"), s.replace("l", "L"), s.split(", "), s.startswith("He"))
print("  pad  ".strip() + "|", "x".join(["a", "b", "c"]), "abc".endswith("bc"), "a b  c".split())
print("%s is %d years and %.1f%%" % ("Bob", 42, 99.5), "%5d|%-5s|%05.1f" % (42, "ab", 3.14159))
n = 3.14159
print(f"{n:.2f} {n:8.3f} {42:5d} {42:<5d}| {'x':>4} {1234567:,} {255:x} {255:#b} {n!r}")
print(f"{x} {x * 2} {'nested'} {[1, 2]}")
l = [5, 3, 8, 1]
l.sort()
print(l, sorted(l, reverse=True), min(l), max(l), sum(l), l.index(8), 3 in l, 9 not in l)
l2 = l + [10] * 2
l2.extend([0])
l2.insert(0, -1)
print(l2, l2.pop(), l2.pop(0), l2, l2.count(10))
t = (1, "two", 3.0)
print(t, t[1], len(t), (1,), (), t + (4,))
d = {}
d["z"] = 1
d["a"] = 2
d[3] = [1]
print(d, list(d.keys()), list(d.values()), list(d.items()), d.get("q"), d.get("q", 0))
del d["z"]
print(d, len(d), "a" in d, d.pop("a"), d)
st = {3, 1, 2}
st.add(2)
print(sorted(st), len(st), 2 in st)
for i, v in enumerate(["a", "b"]):
    print(i, v)
for p, q in zip([1, 2, 3], "xyz"):
    print(p, q, end=" ")
print()
print(list(range(5)), list(range(2, 10, 3)), list(range(5, 0, -2)), list(reversed([1, 2, 3])))
print(abs(-3), abs(2.5), round(2.5), round(3.5), round(2.675, 2), divmod(17, 5), pow(2, 10), pow(2, 10, 1000))
print(chr(65), ord("a"), hex(255), bin(5), oct(8), bool([]), bool([0]))
print(any([0, 0, 1]), all([1, 1, 0]), isinstance(1, int), isinstance("s", (int, str)))
i = 0
while True:
    i += 1
    if i % 2 == 0:
        continue
    if i > 7:
        break
    print("odd", i)
else:
    print("never")
for i in range(3):
    pass
else:
    print("for-else", i)
print([x * x for x in range(6) if x % 2 == 0], {k: k * 2 for k in "ab"}, sorted({x % 3 for x in range(10)}))
print([(i, j) for i in range(3) for j in range(i)])
print(type(1), type("s"), type([]), type(None).__name__)
print(str(None), str(True), repr(1.0), str([1, "a", None]))
print(1 if x > 3 else 2, "yes" if [] else "no")
a = b = 4
a += 1
print(a, b)
first, *rest = [1, 2, 3, 4]
print(first, rest)
(u, v), w = (1, 2), 3
print(u, v, w)
print(max([3, 1, 2], key=lambda v: -v), min("abc"), sorted([("b", 2), ("a", 2), ("c", 1)], key=lambda p: p[1]))
print("abc" < "abd", [1, 2] < [1, 3], (1, 2) == (1, 2), [1, [2]] == [1, [2]])
print(10 ** 20, 2 ** 64 - 1, -(2 ** 63), (2 ** 63) // 3, 7 * 10 ** 18 * 3)
