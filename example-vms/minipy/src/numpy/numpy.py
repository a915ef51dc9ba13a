# The `numpy` module's Python facade (shipped in the binary): the
# `ndarray` class, dtype objects and the keyword signatures. The work is
# done in Rust (src/numpy/*.rs) behind `_numpy.op(name, *args)`.
import _numpy

_op = _numpy.op

_NAMES = ["bool", "int64", "float64"]


class dtype:
    def __init__(self, spec):
        self._c = _code(spec)

    @property
    def name(self):
        return _NAMES[self._c]

    @property
    def kind(self):
        return "bif"[self._c]

    @property
    def itemsize(self):
        return 1 if self._c == 0 else 8

    @property
    def type(self):
        return _SCALARS[self._c]

    def __repr__(self):
        return "dtype('" + _NAMES[self._c] + "')"

    def __str__(self):
        return _NAMES[self._c]

    def __eq__(self, other):
        try:
            return self._c == _code(other)
        except TypeError:
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(_NAMES[self._c])


class _ScalarType:
    def __init__(self, code, name, conv):
        self._c = code
        self.__name__ = name
        self._conv = conv

    def __call__(self, x=0):
        if isinstance(x, ndarray):
            return x.astype(self)
        return self._conv(x)

    def __repr__(self):
        return "<class 'numpy." + self.__name__ + "'>"

    def __eq__(self, other):
        try:
            return self._c == _code(other)
        except TypeError:
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.__name__)


bool_ = _ScalarType(0, "bool_", bool)
int64 = _ScalarType(1, "int64", int)
float64 = _ScalarType(2, "float64", float)
int_ = int64
float_ = float64
double = float64
intp = int64
_SCALARS = [bool_, int64, float64]

_BY_NAME = {
    "bool": 0, "bool_": 0, "?": 0, "b1": 0,
    "int": 1, "int64": 1, "i8": 1, "int_": 1, "intp": 1, "long": 1,
    "float": 2, "float64": 2, "f8": 2, "double": 2, "float_": 2, "d": 2,
}


def _code(d):
    if d is None:
        return -1
    if isinstance(d, (dtype, _ScalarType)):
        return d._c
    if d is float:
        return 2
    if d is int:
        return 1
    if d is bool:
        return 0
    if isinstance(d, int) and 0 <= d <= 2:
        return d
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    raise TypeError("data type " + repr(d) + " not understood")


_DTYPES = [dtype(0), dtype(1), dtype(2)]

pi = 3.141592653589793
e = 2.718281828459045
inf = float("inf")
nan = float("nan")
newaxis = None


def _shape_args(shape):
    if len(shape) == 1:
        return shape[0]
    return shape


class ndarray:
    @property
    def shape(self):
        return _op("shape", self)

    @property
    def ndim(self):
        return _op("ndim", self)

    @property
    def size(self):
        return _op("size", self)

    @property
    def dtype(self):
        return _DTYPES[_op("dtype", self)]

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    @property
    def T(self):
        return _op("transpose", self)

    def transpose(self):
        return _op("transpose", self)

    def reshape(self, *shape):
        return _op("reshape", self, _shape_args(shape))

    def ravel(self):
        return _op("ravel", self)

    def flatten(self):
        return _op("flatten", self)

    def astype(self, dtype):
        return _op("astype", self, _code(dtype))

    def copy(self):
        return _op("copy", self)

    def fill(self, value):
        _op("fill", self, value)

    def tolist(self):
        return _op("tolist", self)

    def item(self, *args):
        if args:
            return self[args[0] if len(args) == 1 else args]
        return _op("item", self)

    def sum(self, axis=None):
        return _op("reduce", "sum", self, axis)

    def prod(self, axis=None):
        return _op("reduce", "prod", self, axis)

    def mean(self, axis=None):
        return _op("reduce", "mean", self, axis)

    def var(self, axis=None):
        return _op("reduce", "var", self, axis)

    def std(self, axis=None):
        return _op("reduce", "std", self, axis)

    def min(self, axis=None):
        return _op("reduce", "min", self, axis)

    def max(self, axis=None):
        return _op("reduce", "max", self, axis)

    def argmin(self, axis=None):
        return _op("reduce", "argmin", self, axis)

    def argmax(self, axis=None):
        return _op("reduce", "argmax", self, axis)

    def any(self, axis=None):
        return _op("reduce", "any", self, axis)

    def all(self, axis=None):
        return _op("reduce", "all", self, axis)

    def cumsum(self, axis=None):
        return _op("cumulative", "cumsum", self, axis)

    def cumprod(self, axis=None):
        return _op("cumulative", "cumprod", self, axis)

    def dot(self, other):
        return _op("dot", self, other)

    def __getitem__(self, key):
        return _op("getitem", self, key)

    def __setitem__(self, key, value):
        _op("setitem", self, key, value)

    def __len__(self):
        return _op("len", self)

    def __iter__(self):
        for i in range(_op("len", self)):
            yield self[i]

    def __contains__(self, x):
        return _op("reduce", "any", _op("binop", "eq", self, x, None), None)

    def __bool__(self):
        return _op("truth", self)

    def __float__(self):
        return float(_op("item", self))

    def __int__(self):
        return int(_op("item", self))

    def __index__(self):
        return int(_op("item", self))

    def __repr__(self):
        return _op("repr", self)

    def __str__(self):
        return _op("str", self)

    def __add__(self, o):
        return _op("binop", "add", self, o, None)

    def __radd__(self, o):
        return _op("binop", "add", o, self, None)

    def __iadd__(self, o):
        return _op("binop", "add", self, o, self)

    def __sub__(self, o):
        return _op("binop", "sub", self, o, None)

    def __rsub__(self, o):
        return _op("binop", "sub", o, self, None)

    def __isub__(self, o):
        return _op("binop", "sub", self, o, self)

    def __mul__(self, o):
        return _op("binop", "mul", self, o, None)

    def __rmul__(self, o):
        return _op("binop", "mul", o, self, None)

    def __imul__(self, o):
        return _op("binop", "mul", self, o, self)

    def __truediv__(self, o):
        return _op("binop", "truediv", self, o, None)

    def __rtruediv__(self, o):
        return _op("binop", "truediv", o, self, None)

    def __itruediv__(self, o):
        return _op("binop", "truediv", self, o, self)

    def __floordiv__(self, o):
        return _op("binop", "floordiv", self, o, None)

    def __rfloordiv__(self, o):
        return _op("binop", "floordiv", o, self, None)

    def __ifloordiv__(self, o):
        return _op("binop", "floordiv", self, o, self)

    def __mod__(self, o):
        return _op("binop", "mod", self, o, None)

    def __rmod__(self, o):
        return _op("binop", "mod", o, self, None)

    def __imod__(self, o):
        return _op("binop", "mod", self, o, self)

    def __pow__(self, o):
        return _op("binop", "pow", self, o, None)

    def __rpow__(self, o):
        return _op("binop", "pow", o, self, None)

    def __ipow__(self, o):
        return _op("binop", "pow", self, o, self)

    def __and__(self, o):
        return _op("binop", "and", self, o, None)

    def __rand__(self, o):
        return _op("binop", "and", o, self, None)

    def __iand__(self, o):
        return _op("binop", "and", self, o, self)

    def __or__(self, o):
        return _op("binop", "or", self, o, None)

    def __ror__(self, o):
        return _op("binop", "or", o, self, None)

    def __ior__(self, o):
        return _op("binop", "or", self, o, self)

    def __xor__(self, o):
        return _op("binop", "xor", self, o, None)

    def __rxor__(self, o):
        return _op("binop", "xor", o, self, None)

    def __ixor__(self, o):
        return _op("binop", "xor", self, o, self)

    def __matmul__(self, o):
        return _op("matmul", self, o)

    def __rmatmul__(self, o):
        return _op("matmul", o, self)

    def __lt__(self, o):
        return _op("binop", "lt", self, o, None)

    def __le__(self, o):
        return _op("binop", "le", self, o, None)

    def __gt__(self, o):
        return _op("binop", "gt", self, o, None)

    def __ge__(self, o):
        return _op("binop", "ge", self, o, None)

    def __eq__(self, o):
        return _op("binop", "eq", self, o, None)

    def __ne__(self, o):
        return _op("binop", "ne", self, o, None)

    def __neg__(self):
        return _op("unary", "neg", self)

    def __pos__(self):
        return _op("unary", "pos", self)

    def __abs__(self):
        return _op("unary", "abs", self)

    def __invert__(self):
        return _op("unary", "invert", self)

    __hash__ = None


_op("register", ndarray)


# ---- creation ---------------------------------------------------------------

def array(obj, dtype=None, copy=True):
    return _op("array" if copy else "asarray", obj, _code(dtype))


def asarray(obj, dtype=None):
    return _op("asarray", obj, _code(dtype))


def zeros(shape, dtype=float):
    return _op("full", shape, 0, _code(dtype))


def ones(shape, dtype=float):
    return _op("full", shape, 1, _code(dtype))


def empty(shape, dtype=float):
    return _op("full", shape, 0, _code(dtype))


def full(shape, fill_value, dtype=None):
    return _op("full", shape, fill_value, _code(dtype))


def zeros_like(a, dtype=None):
    a = asarray(a)
    return _op("full", a.shape, 0, _code(a.dtype if dtype is None else dtype))


def ones_like(a, dtype=None):
    a = asarray(a)
    return _op("full", a.shape, 1, _code(a.dtype if dtype is None else dtype))


def empty_like(a, dtype=None):
    return zeros_like(a, dtype)


def full_like(a, fill_value, dtype=None):
    a = asarray(a)
    return _op("full", a.shape, fill_value, _code(a.dtype if dtype is None else dtype))


def arange(start, stop=None, step=None, dtype=None):
    return _op("arange", start, stop, step, _code(dtype))


def linspace(start, stop, num=50, endpoint=True):
    return _op("linspace", start, stop, num, endpoint)


def eye(N, M=None, k=0, dtype=float):
    return _op("eye", N, M, k, _code(dtype))


def identity(n, dtype=float):
    return _op("eye", n, None, 0, _code(dtype))


def copy(a):
    return _op("array", a, -1)


# ---- shape ------------------------------------------------------------------

def shape(a):
    return asarray(a).shape


def ndim(a):
    return asarray(a).ndim


def size(a):
    return asarray(a).size


def reshape(a, newshape):
    return _op("reshape", asarray(a), newshape)


def ravel(a):
    return _op("ravel", asarray(a))


def transpose(a):
    return _op("transpose", asarray(a))


# ---- ufuncs -----------------------------------------------------------------

def _binary(name):
    def f(x, y, out=None):
        return _op("binop", name, x, y, out)
    return f


add = _binary("add")
subtract = _binary("sub")
multiply = _binary("mul")
divide = _binary("truediv")
true_divide = divide
floor_divide = _binary("floordiv")
mod = _binary("mod")
remainder = mod
power = _binary("pow")
maximum = _binary("maximum")
minimum = _binary("minimum")
less = _binary("lt")
less_equal = _binary("le")
greater = _binary("gt")
greater_equal = _binary("ge")
equal = _binary("eq")
not_equal = _binary("ne")
logical_and = _binary("and")
logical_or = _binary("or")
bitwise_and = logical_and
bitwise_or = logical_or
bitwise_xor = _binary("xor")


def _unary(name):
    def f(x):
        return _op("unary", name, x)
    return f


sqrt = _unary("sqrt")
exp = _unary("exp")
log = _unary("log")
log2 = _unary("log2")
log10 = _unary("log10")
sin = _unary("sin")
cos = _unary("cos")
tan = _unary("tan")
arctan = _unary("arctan")
tanh = _unary("tanh")
abs = _unary("abs")
absolute = abs
floor = _unary("floor")
ceil = _unary("ceil")
trunc = _unary("trunc")
rint = _unary("rint")
square = _unary("square")
sign = _unary("sign")
negative = _unary("neg")
isnan = _unary("isnan")
isinf = _unary("isinf")
isfinite = _unary("isfinite")
logical_not = _unary("not")
invert = _unary("invert")


def round(a, decimals=0):
    if decimals == 0:
        return rint(a)
    f = 10.0 ** decimals
    return rint(asarray(a) * f) / f


around = round


# ---- reductions -------------------------------------------------------------

def _reduction(name):
    def f(a, axis=None):
        return _op("reduce", name, a, axis)
    return f


sum = _reduction("sum")
prod = _reduction("prod")
mean = _reduction("mean")
var = _reduction("var")
std = _reduction("std")
min = _reduction("min")
max = _reduction("max")
amin = min
amax = max
argmin = _reduction("argmin")
argmax = _reduction("argmax")
any = _reduction("any")
all = _reduction("all")


def cumsum(a, axis=None):
    return _op("cumulative", "cumsum", a, axis)


def cumprod(a, axis=None):
    return _op("cumulative", "cumprod", a, axis)


def dot(a, b):
    return _op("dot", a, b)


def matmul(a, b):
    return _op("matmul", a, b)


# ---- searching, sorting, joining (built on the operations above) ------------

def count_nonzero(a, axis=None):
    return _op("reduce", "sum", _op("binop", "ne", asarray(a), 0, None), axis)


def nonzero(a):
    a = asarray(a)
    flat = _op("getitem", arange(a.size), ravel(a != 0))
    out = []
    stride = a.size
    for n in a.shape:
        stride = stride // n if n else 1
        out.append((flat // stride) % n if n else flat)
    return tuple(out)


def _where(condition, x=None, y=None):
    if x is None and y is None:
        return nonzero(condition)
    return _op("where", condition, x, y)


where = _where


def argwhere(a):
    idx = nonzero(a)
    return array([list(t) for t in zip(*[i.tolist() for i in idx])], dtype=int64).reshape(-1, len(idx))


def clip(a, a_min, a_max):
    return minimum(maximum(a, a_min), a_max)


def allclose(a, b, rtol=1e-05, atol=1e-08):
    return bool(all(abs(asarray(a) - b) <= atol + rtol * abs(asarray(b))))


def isclose(a, b, rtol=1e-05, atol=1e-08):
    return abs(asarray(a) - b) <= atol + rtol * abs(asarray(b))


def array_equal(a, b):
    a = asarray(a)
    b = asarray(b)
    return a.shape == b.shape and bool(all(a == b))


def sort(a):
    a = asarray(a)
    if a.ndim != 1:
        raise ValueError("np.sort: only 1-D arrays are supported")
    return array(sorted(a.tolist()), dtype=a.dtype)


def argsort(a):
    a = asarray(a)
    if a.ndim != 1:
        raise ValueError("np.argsort: only 1-D arrays are supported")
    vals = a.tolist()
    return array(sorted(range(len(vals)), key=lambda i: vals[i]), dtype=int64)


def unique(a):
    a = asarray(a)
    return array(sorted(set(a.ravel().tolist())), dtype=a.dtype)


def concatenate(arrays, axis=0):
    arrays = [asarray(x) for x in arrays]
    dt = 0
    for x in arrays:
        if x.dtype._c > dt:
            dt = x.dtype._c
    if axis != 0:
        return concatenate([x.T for x in arrays], 0).T
    rows = []
    for x in arrays:
        rows.extend(x.tolist())
    out = array(rows, dtype=dt)
    if len(rows) == 0:
        return out
    return out


def stack(arrays, axis=0):
    arrays = [asarray(x) for x in arrays]
    out = array([x.tolist() for x in arrays], dtype=concatenate([x.ravel() for x in arrays]).dtype)
    if axis == 0:
        return out
    return out.T


def vstack(arrays):
    arrays = [asarray(x) for x in arrays]
    return concatenate([x.reshape(1, -1) if x.ndim == 1 else x for x in arrays], 0)


def hstack(arrays):
    arrays = [asarray(x) for x in arrays]
    if arrays and arrays[0].ndim == 1:
        return concatenate(arrays, 0)
    return concatenate(arrays, 1)


def outer(a, b):
    return ravel(a)[:, None] * ravel(b)[None, :]


def diff(a):
    a = asarray(a)
    return a[1:] - a[:-1]


def trace(a):
    a = asarray(a)
    n = a.shape[0] if a.shape[0] < a.shape[1] else a.shape[1]
    return sum(array([a[i, i] for i in range(n)], dtype=a.dtype))
