# Generators and the iteration protocol.
def count_up(n):
    i = 0
    while i < n:
        yield i
        i += 1
def squares(it):
    for x in it:
        yield x * x
def take(n, it):
    out = []
    for x in it:
        if len(out) >= n:
            break
        out.append(x)
    return out
def naturals():
    n = 0
    while True:
        yield n
        n += 1
print(list(squares(count_up(6))), take(5, naturals()), sum(count_up(1000)))
g = count_up(3)
print(next(g), next(g), next(g), next(g, "end"))
def chain(*its):
    for it in its:
        yield from it
print(list(chain([1, 2], (3,), count_up(2))))
def with_finally():
    try:
        yield 1
        yield 2
    finally:
        print("gen cleanup")
print(list(with_finally()))
print(sorted(count_up(5), reverse=True), max(count_up(7)), min(squares([3, -4, 2])))
print(dict(zip("abc", count_up(3))), list(enumerate(squares(range(3)), 1)))
print(any(x > 3 for x in count_up(10)), all(x < 3 for x in count_up(10)))
print(", ".join(str(x) for x in count_up(4)), tuple(count_up(3)), set(count_up(3)))
class Fib:
    def __init__(self, n):
        self.n = n
    def __iter__(self):
        a, b = 0, 1
        for _ in range(self.n):
            yield a
            a, b = b, a + b
print(list(Fib(12)), 21 in Fib(10))
gens = [count_up(i) for i in range(4)]
print([list(x) for x in gens])
total = 0
for i in range(300):
    for v in count_up(i % 7):
        total += v
print(total)
