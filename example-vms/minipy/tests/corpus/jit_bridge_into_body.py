# A loop compiled for one kind of iterator, then entered with another:
# the bridge out of the loop's kind check must not jump into the peeled
# body, which dropped the check because the preamble made it (a str
# iterator's loop running a list iterator gave wrong counts).
from collections import Counter


def count(d, it):
    for e in it:
        d[e] = d.get(e, 0) + 1
    return d


a = count({}, 'abracadabra')
count(a, 'aaz')
print(sorted(a.items()))
print(sorted(count({}, [1, 2, 2, 3, 3, 3]).items()))
print(sorted(count({}, (4, 4, 5, 4)).items()))
print(sorted(count({}, range(3)).items()))
print(sorted(count({}, 'xyzzy').items()))

c = Counter('abracadabra')
c.update('aaz')
print(c.most_common(3))
print(Counter([1, 2, 2, 3, 3, 3]).most_common())


def total(seqs):
    s = 0
    for q in seqs:
        for x in q:
            s += x if isinstance(x, int) else len(x)
    return s


print(total([[1, 2, 3], (4, 5), 'abc', [6], ('de', 'f'), range(4), [7, 8]]))
