def parse(s):
    try:
        return int(s)
    except ValueError as e:
        raise RuntimeError("bad input " + s) from e

try:
    parse("x")
except RuntimeError as e:
    print(repr(e), repr(e.__cause__), e.__suppress_context__)

try:
    try:
        {}["k"]
    except KeyError:
        raise ValueError("during")
except ValueError as e:
    print(repr(e.__context__), e.__cause__)

try:
    try:
        1 / 0
    except ZeroDivisionError:
        raise ValueError("quiet") from None
except ValueError as e:
    print(repr(e.__context__), e.__cause__, e.__suppress_context__)

def helper():
    raise IndexError("inner")

try:
    try:
        raise TypeError("outer")
    except TypeError:
        helper()
except IndexError as e:
    print(repr(e.__context__))

def reraiser():
    raise

try:
    try:
        raise KeyError(3)
    except KeyError:
        reraiser()
except KeyError as e:
    print("reraised", repr(e))

n = 0
for i in range(1000):
    try:
        try:
            raise ValueError(i)
        except ValueError as e:
            raise KeyError(i) from e
    except KeyError as k:
        if k.__cause__.args[0] == i:
            n += 1
print(n)
try:
    raise ValueError from 5
except TypeError as e:
    print(e)
