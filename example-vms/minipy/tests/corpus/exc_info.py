# sys.exc_info(): the exception being handled, innermost first.
import sys

print(sys.exc_info())


def show(tag):
    t, v, tb = sys.exc_info()
    print(tag, t, repr(v), tb is None, tb is not None and tb.tb_lineno > 0)


show("outside")
try:
    raise ValueError("outer")
except ValueError:
    show("in except")
    try:
        raise KeyError("inner")
    except KeyError:
        show("nested")
    show("back to outer")
    try:
        raise
    except ValueError as e:
        print("bare raise:", repr(e))
show("after")

try:
    try:
        raise TypeError("t")
    finally:
        show("finally while raising")
except TypeError:
    pass
try:
    pass
finally:
    show("finally, no exception")


def gen():
    try:
        raise RuntimeError("in gen")
    except RuntimeError:
        yield sys.exc_info()[1]
        yield sys.exc_info()[1]
    yield sys.exc_info()[0]


g = gen()
print(repr(next(g)))
show("between resumes")
print(repr(next(g)), next(g))

# Hot loop: exc_info inside and outside handlers under the JIT.
n = 0
for i in range(3000):
    try:
        if i % 4 == 0:
            raise IndexError(i)
        n += sys.exc_info()[0] is None
    except IndexError:
        t, v, tb = sys.exc_info()
        if t is IndexError and v.args[0] == i and tb is not None:
            n += 10
print(n, sys.exc_info())
try:
    sys.exc_info(1)
except TypeError as e:
    print(e)
