counts = {}
data = []
for i in range(1000000):
    data.append((i * 7919) % 1000)
for v in data:
    counts[v] = counts.get(v, 0) + 1
total = 0
for k in counts:
    total += counts[k] * k
words = []
for i in range(250000):
    words.append("w" + str(i % 100))
print(total, len(" ".join(words)), sorted(counts.items())[:3])
