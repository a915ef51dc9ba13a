# Recursion compiled through call_assembler: results of another shape
# (an exception instead of a value) and the recursion limit reached from
# compiled code must behave exactly as in the interpreter.
import sys


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def careful(n):
    # Raises at the bottom for odd n: the compiled caller expected a value.
    if n == 0:
        return 0
    if n == 1:
        raise ValueError("bottom reached at 1")
    return careful(n - 2) + 1


def depth(n):
    return 0 if n == 0 else depth(n - 1) + 1


total = 0
for i in range(300):
    total += fib(i % 15)
print("fib total", total)

ok = 0
bad = 0
msg = ""
for i in range(400):
    try:
        ok += careful(i % 40)
    except ValueError as e:
        bad += 1
        msg = str(e)
print("careful", ok, bad, msg)

sys.setrecursionlimit(400)
hits = 0
for i in range(0, 1000, 7):
    try:
        depth(i)
    except RecursionError:
        hits += 1
print("recursion errors", hits)
print("still fine", depth(100))
