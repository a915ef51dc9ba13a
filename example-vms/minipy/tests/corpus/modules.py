# Imports: sibling .py files and the builtin math, sys, time modules.
import math
import sys
import time
import mp_helper
from mp_helper import double, Box as B
print(mp_helper.GREETING, double(21), B([1]))
print(math.sqrt(16), math.floor(2.7), math.ceil(2.1), math.pi, round(math.sin(0), 3), math.gcd(12, 18))
print(math.isqrt(10 ** 20), math.log(math.e), math.factorial(20), math.inf > 10 ** 300)
print(type(time.time()).__name__, len(sys.argv), sys.argv[0].endswith("modules.py"))
sys.setrecursionlimit(3000)
def depth(n):
    return 0 if n == 0 else 1 + depth(n - 1)
print(depth(2500))
try:
    import no_such_module
except ImportError as e:
    print(type(e).__name__, e)
