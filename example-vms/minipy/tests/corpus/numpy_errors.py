import numpy as np


def attempt(label, f):
    try:
        r = f()
        print(label, "ok", r)
    except Exception as e:
        print(label, type(e).__name__ if not isinstance(e, (ValueError, IndexError, TypeError)) else "", e)


a = np.arange(5)
m = np.arange(6).reshape(2, 3)
attempt("oob", lambda: a[10])
attempt("oob-neg", lambda: a[-6])
attempt("oob-axis1", lambda: m[1, 3])
attempt("oob-axis0", lambda: m[2])
attempt("too-many", lambda: a[1, 2])
attempt("broadcast", lambda: np.ones(3) + np.ones(4))
attempt("broadcast2", lambda: m + np.arange(2))
attempt("broadcast3", lambda: np.where(np.ones(2) > 0, np.ones(3), 0))
attempt("reshape", lambda: a.reshape(2, 3))
attempt("dot", lambda: np.dot(m, m))
attempt("matmul", lambda: m @ m)
attempt("truth", lambda: bool(a > 2))
attempt("truth1", lambda: bool(np.array([3])))
attempt("item", lambda: a.item())
attempt("assign", lambda: a.__setitem__(slice(0, 2), np.arange(3)))
attempt("axis", lambda: a.sum(axis=1))
attempt("minempty", lambda: np.zeros(0).min())
attempt("argmaxempty", lambda: np.zeros(0).argmax())
attempt("mask", lambda: a[np.array([True, False, True])])
attempt("float-index", lambda: a[np.array([0.5])])
attempt("float-scalar-index", lambda: a[1.5])
attempt("too-many-2d", lambda: m[0, 0, 0])
attempt("neg-dim", lambda: np.zeros(-1))
attempt("int-neg-pow", lambda: np.array([2]) ** np.array([-2]))
attempt("cast-out", lambda: np.add(np.ones(2), 1, out=np.zeros(2, dtype=int)))
attempt("bool-sub", lambda: np.array([True]) - True)
attempt("inhomogeneous", lambda: np.array([[1, 2], [3]]))
attempt("len0d", lambda: len(np.float64(1.0)) if False else "skip")
try:
    a[7] = 1
except IndexError as e:
    print("setitem:", e)
try:
    x = np.zeros(3, dtype=int)
    x /= 2
except TypeError as e:
    print("itruediv:", e)
print("done")
