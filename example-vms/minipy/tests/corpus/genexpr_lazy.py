def naturals():
    n = 0
    while True:
        print("produce", n)
        yield n
        n += 1


squares = (x * x for x in naturals() if x % 2 == 0)
print("created")
print(next(squares))
print(next(squares))
pairs = ((a, b) for a in range(3) for b in range(a))
print(list(pairs), list(pairs))
print(any(x > 2 for x in naturals()))
total = 0
for i in range(300):
    total += sum(j for j in range(i % 10))
print(total, max(len(s) for s in ["a", "bbb", "cc"]))
