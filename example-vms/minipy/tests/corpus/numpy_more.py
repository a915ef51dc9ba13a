import numpy as np

a = np.array([3, 0, 2, 0, 5])
m = np.array([[0, 1, 2], [3, 0, 5]])
print(np.count_nonzero(a), np.count_nonzero(m), np.nonzero(a), np.nonzero(m))
print(np.where(a > 1), np.argwhere(m > 1))
print(np.clip(a, 1, 4), np.clip(np.array([-1.5, 0.5, 9.0]), 0, 1))
print(np.allclose(np.array([1.0, 2.0]), np.array([1.0, 2.0000001])), np.allclose([1.0], [1.1]))
print(np.isclose(np.array([1.0, 2.0]), 2.0), np.array_equal(a, a.copy()), np.array_equal(a, m))
print(np.sort(a), np.argsort(np.array([3.5, 1.0, 2.0])), np.unique(np.array([3, 1, 3, 2, 1])))
print(np.concatenate([np.arange(3), np.arange(2)]), np.concatenate([m, m]), np.concatenate([m, m], axis=1))
print(np.stack([np.arange(3), np.ones(3)]), np.vstack([np.arange(2), np.arange(2)]), np.hstack([np.arange(2), np.arange(3)]))
print(np.outer(np.arange(3), np.arange(1, 3)), np.diff(np.array([1, 4, 9, 16])), np.trace(np.arange(9).reshape(3, 3)))
print(np.array(range(4)), np.array(range(2), dtype=float))
x = np.linspace(0, 2 * np.pi, 5)
print(np.sin(x))
print(np.cos(x))
print(np.round(np.array([1.234, 5.678]), 1), np.round(np.array([0.5, 1.5, 2.5])))
b = np.zeros((3, 3))
b[1] = 5
b[:, 2] = 1.5
print(b, b[b > 1].sum(), (b > 1).sum())
c = np.array([[1, 2], [3, 4]], dtype=float)
print(c / c.sum(axis=0), c / c.sum(axis=1)[:, None])
print(np.abs(-c), (-c).min(), c.std(), c.var(axis=0))
v = np.array([3.0, 4.0])
print(np.sqrt((v ** 2).sum()), np.dot(v, v) ** 0.5)
print(f"{a[1]:.3f}", "%d" % a[2], str(a[3]), repr(a[4]))
print(sorted(np.array([3, 1, 2])), list(reversed(np.arange(3))), max(np.array([1, 9, 3])))
s = 0.0
for row in np.arange(6.0).reshape(3, 2):
    for e in row:
        s += e
print(s)
print(np.int64(3) + 1, np.float64("2.5"), np.bool_(0))
