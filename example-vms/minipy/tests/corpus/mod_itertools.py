import itertools
from itertools import (count, cycle, repeat, chain, islice, product, permutations,
                       combinations, combinations_with_replacement, groupby, accumulate,
                       zip_longest, starmap, takewhile, dropwhile, filterfalse, compress,
                       tee, pairwise)
import operator

print(list(islice(count(), 5)), list(islice(count(10, 3), 4)), list(islice(count(1.5, 0.5), 3)))
print(list(islice(cycle('abc'), 8)), list(repeat('x', 3)), list(islice(repeat(7), 2)))
print(list(chain([1, 2], (3,), 'ab')), list(chain.from_iterable([[1], [2, 3], []])))
print(list(islice('ABCDEFG', 2)), list(islice('ABCDEFG', 2, 4)), list(islice('ABCDEFG', 2, None)), list(islice('ABCDEFG', 0, None, 2)))
print(list(product('ab', range(2))), list(product([0, 1], repeat=2)))
print(len(list(product('abc', repeat=3))), list(product()))
print(list(permutations('abc', 2)), list(permutations(range(3))))
print(list(combinations('abcd', 2)), list(combinations(range(4), 3)), list(combinations('ab', 3)))
print(list(combinations_with_replacement('abc', 2)))
print([(k, list(g)) for k, g in groupby('AAAABBBCCDAABBB')])
print([k for k, g in groupby([1, 1, 2, 3, 3])])
print([(k, len(list(g))) for k, g in groupby(['apple', 'avocado', 'banana', 'blueberry', 'cherry'], key=lambda w: w[0])])
print(list(accumulate([1, 2, 3, 4, 5])), list(accumulate([1, 2, 3, 4], operator.mul)))
print(list(accumulate([3, 1, 4, 1, 5], max)), list(accumulate([1, 2, 3], initial=100)), list(accumulate([])))
print(list(zip_longest('ABCD', 'xy', fillvalue='-')), list(zip_longest([1, 2], [3])))
print(list(starmap(pow, [(2, 5), (3, 2), (10, 3)])))
print(list(takewhile(lambda x: x < 5, [1, 4, 6, 4, 1])), list(dropwhile(lambda x: x < 5, [1, 4, 6, 4, 1])))
print(list(filterfalse(lambda x: x % 2, range(10))), list(filterfalse(None, [0, 1, '', 'a'])))
print(list(compress('ABCDEF', [1, 0, 1, 0, 1, 1])))
a, b = tee([1, 2, 3])
print(list(a), list(b))
x, y, z = tee(iter('ab'), 3)
print(next(x), list(y), list(x), list(z))
print(list(pairwise('ABCDE')), list(pairwise([1])))
total = 0
for i, (p, q) in enumerate(zip(range(1000), islice(cycle([1, 2, 3]), 1000))):
    if i >= 300:
        break
    total += p * q
print(total)
print(sum(1 for c in combinations(range(12), 4)), sum(p[0] for p in permutations(range(5))))
