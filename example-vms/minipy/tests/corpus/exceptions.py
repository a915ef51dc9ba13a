# try/except/else/finally, raise, custom exceptions, builtin errors.
class MyError(Exception):
    pass
class Detailed(ValueError):
    def __init__(self, code):
        super().__init__("code %d" % code)
        self.code = code
def risky(n):
    if n == 0:
        raise MyError("zero!")
    if n == 1:
        raise Detailed(7)
    return 10 // (n - 2)
for n in range(4):
    try:
        r = risky(n)
    except MyError as e:
        print("MyError", e, e.args)
    except ValueError as e:
        print("ValueError", e, e.code, isinstance(e, Detailed))
    except ZeroDivisionError as e:
        print("ZDE", e)
    else:
        print("ok", r)
    finally:
        print("finally", n)
def f():
    try:
        return "from try"
    finally:
        print("cleanup")
print(f())
def g():
    for i in range(5):
        try:
            if i == 2:
                break
            continue
        finally:
            print("fin", i)
    return i
print(g())
try:
    [][1]
except IndexError as e:
    print("IndexError:", e)
try:
    {}["k"]
except KeyError as e:
    print("KeyError:", e, repr(e))
try:
    undefined_name
except NameError as e:
    print("NameError:", e)
try:
    None.foo
except AttributeError as e:
    print("AttributeError:", e)
try:
    "a" + 1
except TypeError as e:
    print("TypeError:", e)
try:
    int("xyz")
except ValueError as e:
    print("ValueError:", e)
try:
    assert 1 == 2, "math is broken"
except AssertionError as e:
    print("AssertionError:", e)
try:
    try:
        raise RuntimeError("inner")
    except RuntimeError:
        raise
except RuntimeError as e:
    print("reraised", e)
try:
    try:
        1 / 0
    finally:
        print("inner finally")
except ZeroDivisionError:
    print("outer caught")
def deep(n):
    return deep(n + 1)
try:
    deep(0)
except RecursionError as e:
    print("RecursionError caught")
try:
    raise KeyError
except LookupError as e:
    print("lookup", type(e).__name__)
try:
    raise TypeError("a", 1)
except (ValueError, TypeError) as e:
    print(e.args, str(e))
total = 0
for i in range(1000):
    try:
        if i % 7 == 0:
            raise ValueError(i)
        total += i
    except ValueError as e:
        total -= e.args[0]
print(total)
print(repr(ValueError("x")), str(Exception()), repr(Exception()))
