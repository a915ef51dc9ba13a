import numpy as np

vals = [
    [1.0, 2.0, 3.0],
    [1.5, 2.25, -3.125],
    [0.1, 0.2, 0.30000000000000004],
    [1.0 / 3, 2.0 / 3, 1.0],
    [1e-5, 1.0],
    [1.0, 2000.0],
    [123456789.0, 1.0],
    [0.0001, 0.5],
    [1e10, -1e-10],
    [0.0, 0.0],
    [-0.0, 1.0],
    [3.14159265358979, 2.718281828],
    [100.0, 200.5, -300.25],
    [1.5e-7, 2.5e-7, 1e-6],
    [12345.678, 0.001],
    [float("nan"), 1.0, float("inf")],
    [float("-inf"), 2.5],
    [float("nan")],
    [999.9999999999, 1.0],
    [0.5, 10.0, 999.0],
]
for v in vals:
    a = np.array(v)
    print(a)
    print(repr(a))
ints = [[1, 2, 3], [-1, 10, -100], [0], [123456789012, 1]]
for v in ints:
    a = np.array(v)
    print(a, repr(a))
print(np.array([True, False, True]), repr(np.array([False, False])))
print(np.arange(12).reshape(3, 4))
print(repr(np.arange(12).reshape(3, 4)))
print(np.arange(24).reshape(2, 3, 4))
print(repr(np.arange(8).reshape(2, 2, 2) * 0.5))
print(np.arange(40))
print(repr(np.arange(40)))
print(np.linspace(0, 1, 30))
print(repr(np.linspace(0, 1, 30)))
print(repr(np.arange(25).reshape(5, 5) * 1.1))
print(np.array([[1.5, -2.0], [100.0, 0.001]]))
print(np.array([[True, False], [False, True]]))
print(repr(np.array([], dtype=int)), repr(np.zeros((0, 3))), np.zeros((2, 0)))
print(np.eye(2)[0], np.eye(2)[0, 0], np.arange(3)[1], np.array([True])[0])
print(np.array([1.5])[0], np.array([2.0]).sum(), np.array([1, 2]).mean())
print(str(np.array([0.25, 0.5])), repr(np.array([7])))
print([np.array([1, 2]), 3])
print(np.array([1e20, 1.0]), np.array([1e16]), np.array([1e15, 1.0]))
print(np.array([-1.5, 2.0, -3.75]).tolist(), np.arange(3).tolist())
