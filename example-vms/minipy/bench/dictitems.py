# Dict iteration: items/keys/values loops over a mid-sized dict, repeated.
d = {}
for i in range(1000):
    d[i] = (i * 7919) % 1000
total = 0
for rep in range(2000):
    for k, v in d.items():
        total += k * v
    for k in d:
        total += k
    for v in d.values():
        total -= v
print(total)
