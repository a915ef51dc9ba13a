# Dicts and sets keyed by instances with __hash__/__eq__: every lookup
# calls guest code from inside the hash table.
class Key:
    def __init__(self, a, b):
        self.a = a
        self.b = b

    def __hash__(self):
        return self.a * 31 + self.b

    def __eq__(self, other):
        return self.a == other.a and self.b == other.b


table = {}
for i in range(100):
    table[Key(i % 10, i // 10)] = i
seen = set()
total = 0
for i in range(200000):
    k = Key(i % 10, (i // 10) % 10)
    total += table[k]
    if i % 7 == 0:
        seen.add(k)
print(total, len(seen))
