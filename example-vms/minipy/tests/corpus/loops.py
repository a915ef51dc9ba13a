# Loop-heavy code: nested loops, lists, dicts, strings, floats.
def sieve(n):
    is_p = [True] * (n + 1)
    is_p[0] = is_p[1] = False
    i = 2
    while i * i <= n:
        if is_p[i]:
            for j in range(i * i, n + 1, i):
                is_p[j] = False
        i += 1
    return [k for k in range(n + 1) if is_p[k]]
pr = sieve(5000)
print(len(pr), pr[-5:])
def matmul(a, b):
    n = len(a)
    m = len(b[0])
    k = len(b)
    c = [[0] * m for _ in range(n)]
    for i in range(n):
        for j in range(m):
            s = 0
            for t in range(k):
                s += a[i][t] * b[t][j]
            c[i][j] = s
    return c
A = [[i + j for j in range(12)] for i in range(12)]
print(matmul(A, A)[3][:5])
words = "the quick brown fox jumps over the lazy dog the end".split()
freq = {}
for _ in range(300):
    for w in words:
        freq[w] = freq.get(w, 0) + 1
print(sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[:4])
x = 0.0
for i in range(1, 5000):
    x += 1.0 / (i * i)
print(x)
def mandel(cx, cy):
    zx = zy = 0.0
    for it in range(50):
        zx, zy = zx * zx - zy * zy + cx, 2 * zx * zy + cy
        if zx * zx + zy * zy > 4.0:
            return it
    return 50
rows = []
for y in range(-5, 6):
    rows.append("".join("#" if mandel(x / 10, y / 5) == 50 else "." for x in range(-20, 6)))
print("\n".join(rows))
lst = list(range(3000))
evens = 0
for v in lst:
    if v % 2 == 0:
        evens += v
print(evens)
i = 0
acc = []
while i < 2000:
    acc.append(i * i % 7)
    i += 1
print(sum(acc), acc[:10])
t = (1, 2, 3)
ts = 0
for i in range(3000):
    a, b, c = t
    ts += a + b * c
print(ts)
