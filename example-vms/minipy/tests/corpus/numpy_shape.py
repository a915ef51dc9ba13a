import numpy as np

a = np.arange(12)
b = a.reshape(3, 4)
print(b)
print(a.reshape((2, 6)), a.reshape(-1, 3), a.reshape(2, -1, 2).shape)
b[0, 0] = 100
print(a[0], "reshape of contiguous is a view")
print(b.T)
print(b.T.shape, b.transpose().shape, np.transpose(b).tolist())
print(b.ravel(), b.flatten())
r = b.ravel()
r[1] = -5
print(b[0, 1])
fl = b.flatten()
fl[2] = -6
print(b[0, 2])
t = b.T
print(t.ravel())
print(t.copy().flags if False else t.copy())
print(np.reshape(np.arange(6), (3, 2)))
print(np.ravel([[1, 2], [3, 4]]))
print(np.shape([[1, 2, 3]]), np.ndim(5) if False else np.ndim([1]), np.size([[1, 2], [3, 4]]))


def reshape_error(*shape):
    try:
        a.reshape(*shape)
    except ValueError as e:
        print(e)


reshape_error(5, 5)
reshape_error(-1, -1)
reshape_error(5, -1)
x = np.arange(6).reshape(2, 3).astype(np.float64)
print(x, x.dtype, x.astype(np.int64).dtype)
print(len(x), len(x[0]))
for row in x:
    print(row, row.sum())
for v in np.arange(3):
    print(v, v * 2)
print(list(np.arange(4)), [float(v) for v in np.linspace(0, 1, 3)])
print(x.tolist(), type(x.tolist()[0][0]).__name__)
print(int(np.array([7])), float(np.array([2.5])), bool(np.array([0])))
print(np.array([[1, 2], [3, 4]]).T @ np.eye(2, dtype=int))
