# A generator suspended inside an except block keeps its handled exception
# to itself: the caller does not see it as __context__, and the generator
# gets it back when it resumes.
def gen():
    try:
        raise ValueError("inner")
    except ValueError:
        yield 1
        yield 2
        try:
            raise   # re-raises the generator's own ValueError
        except ValueError as e:
            yield "reraised " + str(e)


g = gen()
print(next(g))
try:
    raise KeyError("outer")
except KeyError as e:
    print("context:", repr(e.__context__))
print(next(g))
print(next(g))
try:
    raise KeyError("outer2")
except KeyError as e:
    print("context:", repr(e.__context__))


# A new exception raised in the generator after resuming chains to the
# generator's handled one, not to whatever the caller handles.
def gen2():
    try:
        raise ValueError("g2")
    except ValueError:
        yield "a"
        raise TypeError("from gen2")


g = gen2()
next(g)
try:
    raise IndexError("caller")
except IndexError:
    try:
        next(g)
    except TypeError as e:
        print("gen2:", repr(e), "context:", repr(e.__context__))


# With nothing handled of its own, a generator sees the caller's exception.
def gen3():
    yield 0
    try:
        raise RuntimeError("in gen3")
    except RuntimeError as e:
        yield repr(e.__context__)


g = gen3()
next(g)
try:
    raise AttributeError("caller3")
except AttributeError:
    print("gen3:", next(g))


# An abandoned generator suspended in an except block leaks nothing.
def gen4():
    try:
        1 / 0
    except ZeroDivisionError:
        yield "stuck"


g = gen4()
print(next(g))
del g
try:
    raise LookupError("after")
except LookupError as e:
    print("after abandon:", repr(e.__context__))

# Hot loop (traced): the caller's handler never sees the generator's.
n = 0
for rep in range(300):
    for x in gen():
        try:
            raise KeyError(x)
        except KeyError as e:
            if e.__context__ is not None:
                n += 1
print("leaks:", n)


# A generator returning from inside its except block.
def gen5():
    try:
        raise ValueError("v5")
    except ValueError:
        yield 5
        return


for v in gen5():
    pass
try:
    raise KeyError("k5")
except KeyError as e:
    print("gen5:", repr(e.__context__))
