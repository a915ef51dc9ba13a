# Small ints overflowing into big ints inside hot loops (guard_no_overflow).
x = 1
for i in range(200):
    x = x * 3
print(x)
x = 2 ** 62
for i in range(3000):
    x = x + 2 ** 50
print(x)
y = -(2 ** 63) + 5000
for i in range(3000):
    y = y - 2
print(y)
def collatz_steps(n):
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps
print(sum(collatz_steps(i) for i in range(1, 3000)))
big = 1
for i in range(1, 60):
    big *= i
print(big, big % 1000007, big // 10 ** 70)
a, b = 0, 1
for i in range(300):
    a, b = b, a + b
print(a)
m = 9223372036854775807
for i in range(2000):
    m = m - 1 + 1
print(m, m + 1, -m - 2)
h = 0
for i in range(5000):
    h = (h * 31 + i) % (2 ** 61 - 1)
print(h)
neg = 0
for i in range(3000):
    neg = neg - i * i * i * 1000
print(neg)
