import random

random.seed(42)
print([random.random() for _ in range(3)])
print([random.randint(1, 100) for _ in range(10)])
print([random.randrange(10) for _ in range(5)], random.randrange(0, 100, 7), random.randrange(5, 50))
items = list(range(10))
random.shuffle(items)
print(items)
print(random.choice('abcdef'), random.choice([10, 20, 30]))
print(random.sample(range(100), 5), random.sample('abcdefgh', 3))
print(random.uniform(1.0, 2.0), random.getrandbits(8), random.getrandbits(70))
print(random.gauss(0, 1), random.gauss(10, 2), random.gauss())
random.seed(12345678901234567890)
print(random.random(), random.randint(0, 10 ** 12))
random.seed(0)
print(random.random())
r = random.Random(7)
print(r.random(), r.randint(1, 6))
random.seed(2024)
total = 0
for i in range(300):
    total += random.randint(0, 9)
print(total)
try:
    random.choice([])
except IndexError as e:
    print('IndexError', e)
