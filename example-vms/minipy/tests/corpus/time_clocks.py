# The clocks of the time module exist, have the right types, and move
# forward (values themselves differ from run to run).
import time
from time import perf_counter_ns, perf_counter, monotonic_ns

for name in ["time", "time_ns", "perf_counter", "perf_counter_ns", "monotonic",
             "monotonic_ns", "process_time", "process_time_ns"]:
    f = getattr(time, name)
    v = f()
    print(name, type(v).__name__, v >= 0)

a = perf_counter_ns()
s = 0
for i in range(20000):
    s += i
b = perf_counter_ns()
print(b >= a, s)
t0 = perf_counter()
t1 = perf_counter()
print(t1 >= t0)
m0 = monotonic_ns()
print(monotonic_ns() >= m0)
print(abs(time.time_ns() / 1e9 - time.time()) < 5)
