import numpy as np

a = np.array([1, 2, 3, 4])
f = np.array([0.5, 1.5, -2.0, 4.0])
print(a + 1, 1 + a, a - 1, 10 - a, a * 3, 3 * a)
print(a / 2, 2 / a, a // 3, 7 // a, a % 3, 7 % a, a ** 2, 2 ** a)
print(a + f, a * f, f / a, f // 1, f % 1.5, f ** 2, -f, -a)
print((a + 0.5).dtype, (a * 2).dtype, (a / 1).dtype, (a // 2).dtype, (a ** 2).dtype)
n = np.array([-7, -3, 3, 7])
print(n // 2, n % 3, n // -2, n % -3, np.array([-7.5, 7.5]) // 2, np.array([-7.5, 7.5]) % 2)
print(a < 3, a <= 3, a > 3, a >= 3, a == 3, a != 3)
print(3 < a, 2 == a, a == a, f > a)
m = np.arange(6).reshape(2, 3)
row = np.array([10, 20, 30])
col = np.array([[100], [200]])
print(m + row)
print(m + col)
print(m * row + col)
print(m + 0.5)
print(row - col)
print(np.add(a, 1), np.subtract(a, f), np.multiply(m, 2), np.divide(a, 4))
print(np.sqrt(np.array([1.0, 4.0, 2.0])), np.sqrt(a))
print(np.exp(np.array([0.0, 1.0, -1.0])), np.log(np.array([1.0, np.e, 10.0])))
print(np.sin(np.array([0.0, np.pi / 2])), np.cos(np.array([0.0, np.pi])))
print(np.abs(np.array([-1, 2, -3])), np.abs(f), abs(f))
print(np.maximum(a, 2), np.minimum(a, f), np.maximum(m, row))
print(np.where(a > 2, a, 0), np.where(f > 0, f, -1), np.where(a % 2 == 0, 1.5, a))
out = np.zeros(4)
r = np.add(a, f, out=out)
print(out, r is out)
out2 = np.zeros(4, dtype=int)
np.multiply(a, a, out=out2)
print(out2)
x = np.arange(5)
x += 1
print(x)
x *= 3
print(x)
x -= np.array([1, 1, 1, 1, 1])
print(x)
x //= 2
print(x)
x %= 4
print(x)
y = np.ones(3)
y += 0.5
y /= 2
y **= 2
print(y)
z = np.ones((2, 3))
z += np.array([1, 2, 3])
print(z)
mask = (a > 1) & (a < 4)
print(mask, mask | (a == 4), ~mask, mask ^ (a > 2))
print(np.array([True, True]) + np.array([True, False]), np.array([True, False]) * 3)
print(a + True, (np.array([True]) + 1).dtype)
print(np.floor(f), np.ceil(f), np.square(a), np.negative(a), np.sign(f))
print(np.tan(np.array([0.0])), np.log10(np.array([100.0, 1000.0])))
print(np.isnan(np.array([1.0, np.nan])), np.isinf(np.array([np.inf, 1.0])))
print(np.add(2, 3), np.sqrt(16.0), np.maximum(2, 5))
print(np.array([1.0, 2.0]) == np.array([1.0, 3.0]))
try:
    np.ones(3) + np.ones(4)
except ValueError as e:
    print("ValueError:", e)
try:
    np.ones((2, 3)) * np.ones((3, 2))
except ValueError as e:
    print("ValueError:", e)
try:
    x = np.arange(3)
    x += 0.5
except TypeError as e:
    print("TypeError:", e)
try:
    np.array([True]) - np.array([False])
except TypeError as e:
    print("TypeError:", e)
try:
    np.arange(3) ** -1
except ValueError as e:
    print("ValueError:", e)
try:
    -np.array([True])
except TypeError as e:
    print("TypeError:", e)
