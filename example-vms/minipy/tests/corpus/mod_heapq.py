import heapq
from heapq import heappush, heappop, heapify, heapreplace, heappushpop, nlargest, nsmallest, merge

h = []
for x in [5, 3, 8, 1, 9, 2, 7]:
    heappush(h, x)
print(h)
print([heappop(h) for _ in range(len(h))])
data = [9, 4, 7, 1, 8, 2, 6, 3, 5, 0]
heapify(data)
print(data)
print(heapreplace(data, 10), data)
print(heappushpop(data, -1), heappushpop(data, 4), data)
print(nlargest(3, [5, 1, 8, 3, 9, 2]), nsmallest(3, [5, 1, 8, 3, 9, 2]))
words = ['pear', 'fig', 'banana', 'kiwi', 'apple']
print(nlargest(2, words, key=len), nsmallest(2, words, key=len))
print(nlargest(0, words), nsmallest(10, [3, 1, 2]))
print(list(merge([1, 4, 7], [2, 5, 8], [3, 6, 9])))
print(list(merge([7, 4, 1], [8, 5, 2], reverse=True)))
print(list(merge(['a', 'ccc'], ['bb', 'dddd'], key=len)))
tasks = []
heappush(tasks, (2, 'write'))
heappush(tasks, (1, 'read'))
heappush(tasks, (3, 'sleep'))
heappush(tasks, (1, 'eat'))
while tasks:
    print(heappop(tasks))
try:
    heappop([])
except IndexError as e:
    print('IndexError', e)
h = []
for i in range(200):
    heappush(h, (i * 37) % 101)
s = 0
while h:
    s = s * 3 % 1000003 + heappop(h)
print(s)
