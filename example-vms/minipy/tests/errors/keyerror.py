d = {"a": 1}
total = 0
for i in range(2000):
    total += d["a"]
print(total)
print(d["missing"])
