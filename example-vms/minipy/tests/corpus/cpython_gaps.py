# Smaller CPython behaviours: __exit__ tracebacks, mro(), failed imports.
class CM:
    def __enter__(self):
        return self

    def __exit__(self, t, v, tb):
        if t is None:
            print("clean exit", v, tb)
        else:
            print(t.__name__, v, tb is not None, type(tb).__name__, tb.tb_lineno)
        return True


def boom():
    raise KeyError("deep")


with CM():
    raise ValueError("x")
with CM():
    boom()
with CM():
    pass
try:
    raise TypeError("t")
except TypeError as e:
    tb = e.__traceback__
    print(type(tb).__name__, tb.tb_lineno, tb.tb_next)
print(ValueError("never raised").__traceback__)
class Quiet:
    def __enter__(self):
        return self

    def __exit__(self, t, v, tb):
        if t is not None:
            print(t.__name__, v, type(tb).__name__, tb.tb_lineno)
        return True


n = 0
for i in range(2500):
    with Quiet():
        if i % 500 == 0:
            raise ValueError(i)
        n += 1
print(n)


class A:
    pass


class B(A):
    pass


class C(B, A):
    pass


print(object.mro(), int.mro(), bool.mro())
print(C.mro(), type.mro(C), B.mro(), C.mro() == list(C.__mro__))
print(type(C.mro()).__name__)

for attempt in range(2):
    try:
        import mp_failing
    except ZeroDivisionError as e:
        print("import failed:", e)
