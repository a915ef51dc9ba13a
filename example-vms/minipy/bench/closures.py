def make_counter(step):
    count = 0
    def inc():
        nonlocal count
        count += step
        return count
    return inc
c = make_counter(3)
for i in range(1000000):
    c()
adders = [lambda x, k=k: x + k for k in range(10)]
s = 0
for i in range(300000):
    s = adders[i % 10](s)
print(c(), s)
