import bisect
from bisect import bisect_left, bisect_right, insort_left, insort_right, insort

a = [1, 2, 2, 2, 3, 5, 8]
for x in [0, 1, 2, 3, 4, 8, 9]:
    print(x, bisect_left(a, x), bisect_right(a, x), bisect.bisect(a, x))
print(bisect_left(a, 2, 2), bisect_right(a, 2, 0, 3), bisect_left(a, 5, lo=1, hi=4))
b = []
for x in [5, 1, 4, 1, 5, 9, 2, 6]:
    insort(b, x)
print(b)
insort_left(b, 4)
insort_right(b, 4.0)
print(b)
recs = [('a', 1), ('b', 3), ('c', 5)]
print(bisect_left(recs, 3, key=lambda r: r[1]), bisect_right(recs, 3, key=lambda r: r[1]))
insort(recs, ('x', 4), key=lambda r: r[1])
insort_left(recs, ('y', 3), key=lambda r: r[1])
print(recs)
grades = 'FDCBA'
print([grades[bisect.bisect([60, 70, 80, 90], s)] for s in [33, 99, 77, 70, 89, 90, 100]])
try:
    bisect_left(a, 1, -1)
except ValueError as e:
    print('ValueError', e)
total = 0
for i in range(300):
    total += bisect_left(a, i % 10) + bisect_right(a, i % 7, key=None)
print(total)
