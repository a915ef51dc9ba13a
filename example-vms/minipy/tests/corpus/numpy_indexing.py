import numpy as np

a = np.arange(10)
print(a[0], a[-1], a[3], a[-3])
print(a[2:5], a[::2], a[::-1], a[5:], a[:-7], a[8:2:-2], a[100:], a[-100:2])
v = a[1:8:3]
print(v, v.shape)
v[1] = 40
print(a)
v[:] = 0
print(a)
a[2:4] = np.array([7, 8])
print(a)
a[::3] = -1
print(a)
m = np.arange(12).reshape(3, 4)
print(m[1, 2], m[-1, -1], m[0][1], m[2])
print(m[:, 0], m[1, :], m[:2, 1:3], m[::2, ::-1])
print(m[1:, 2:].shape, m[0:0].shape, m[:, 1:2])
w = m[1]
w[0] = 55
print(m)
m[0, :] = 9
m[:, -1] = np.array([1, 2, 3])
print(m)
m[1:3, 1:3] = np.array([[10, 20], [30, 40]])
print(m)
m[2] = np.array([0, 1, 2, 3])
print(m)
c = m[:, 1]
c += 1000
print(m)
f = np.linspace(0, 1, 5)
f[2] = 7
f[0] = 3
print(f, f[1], f[1] * 2)
g = np.zeros(4, dtype=int)
g[1] = 2.9
g[2:] = 1.5
print(g)
b = np.array([3, -1, 4, -1, 5, -9])
print(b[b > 0], b[b < 0], b[(b > 0) & (b < 5)], b[b == 100])
b[b < 0] = 0
print(b)
b[b > 3] = np.array([40, 50])
print(b)
mm = np.arange(6).reshape(2, 3)
print(mm[mm % 2 == 0])
mm[mm > 2] = -1
print(mm)
print(mm[[True, False]])
print(a[[0, 2, 4]], a[np.array([1, 1, 3])], a[[-1, -2]])
h = np.arange(5)
h[[0, 4]] = 100
print(h)
x = np.arange(3)
print(x[None].shape, x[:, None].shape, x[:, None])
# Index errors are in numpy_errors.py.
