import numpy as np

a = np.array([3, 1, 4, 1, 5, 9, 2, 6])
f = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
print(a.sum(), a.prod(), a.mean(), a.min(), a.max(), a.argmin(), a.argmax())
print(np.sum(a), np.prod(a), np.mean(a), np.min(a), np.max(a), np.argmin(a), np.argmax(a))
print(f.sum(), f.mean(), f.prod(), f.min(), f.max(), np.sum(f * f))
print(np.arange(1000).sum(), np.arange(1000) .astype(float).sum(), (np.arange(1000) * 0.001).sum())
print(np.linspace(0, 1, 301).sum(), np.linspace(0, 1, 301).mean())
print(np.std(np.array([1.0, 2.0, 3.0, 4.0])), np.var(a), a.std())
m = np.array([[1, 2, 3], [4, 5, 6]])
print(m.sum(), m.sum(axis=0), m.sum(axis=1), m.sum(axis=-1))
print(m.mean(axis=0), m.mean(axis=1), m.max(axis=0), m.min(axis=1))
print(m.argmax(axis=0), m.argmin(axis=1), m.argmax(), m.prod(axis=0))
fm = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]])
print(fm.sum(axis=0).tolist(), fm.sum(axis=1).tolist(), fm.sum())
b = np.array([True, False, True])
print(b.any(), b.all(), np.any(a > 8), np.all(a > 0), b.sum(), np.array([False]).any())
print(np.any(m > 5, axis=0), np.all(m > 1, axis=1))
print(np.cumsum(a), a.cumsum(), np.cumsum(f), np.cumsum(m), np.cumsum(m, axis=0), np.cumsum(m, axis=1))
print(np.cumsum(b), np.cumprod(np.array([1, 2, 3, 4])))
print(np.dot(np.array([1, 2, 3]), np.array([4, 5, 6])))
print(np.dot(np.array([1.5, 2.0]), np.array([2.0, 4.0])))
x = np.array([[1, 2], [3, 4]])
y = np.array([[5, 6], [7, 8]])
print(np.dot(x, y))
print(x @ y, x @ np.array([1, 1]), np.array([1, 1]) @ x)
print(x.dot(y), np.dot(x, 2), np.eye(2) @ x)
r = np.arange(6).reshape(2, 3)
print(r @ r.T, r.T @ r)
print(np.array([1, 2]) @ np.array([3, 4]))
print(type(a.sum()).__name__ if False else a.sum() + 1, f.sum() * 2)
print(np.max(fm, axis=1), np.min(fm, axis=0), np.mean(fm))
print(np.sum([1, 2, 3]), np.mean([1, 2]), np.max([[1, 5], [3, 2]], axis=0))
print(np.array([2.0, np.nan, 1.0]).max(), np.array([1.0, 5.0, 5.0]).argmax())
try:
    np.array([]).max()
except ValueError as e:
    print("ValueError:", e)
try:
    m.sum(axis=2)
except ValueError as e:
    print("ValueError:", e)
try:
    np.dot(np.ones((2, 3)), np.ones((2, 3)))
except ValueError as e:
    print("ValueError:", e)
try:
    np.ones((2, 3)) @ np.ones((2, 3))
except ValueError as e:
    print("ValueError:", e)
try:
    np.dot(np.ones(3), np.ones(4))
except ValueError as e:
    print("ValueError:", e)
print(np.array([], dtype=int).sum(), np.zeros((0,)).prod())
