import operator
from operator import itemgetter, attrgetter, methodcaller


class P:
    def __init__(self, name, age, child=None):
        self.name = name
        self.age = age
        self.child = child

    def greet(self, greeting, punct='!'):
        return greeting + ', ' + self.name + punct


print(operator.add(2, 3), operator.sub(2, 3), operator.mul(4, 5), operator.truediv(7, 2))
print(operator.floordiv(7, 2), operator.mod(7, 3), operator.neg(4), operator.pos(-4), operator.pow(2, 10))
print(operator.eq(1, 1), operator.ne(1, 2), operator.lt(1, 2), operator.le(2, 2), operator.gt(1, 2), operator.ge(3, 2))
print(operator.and_(6, 3), operator.or_(6, 3), operator.xor(6, 3), operator.lshift(1, 4), operator.rshift(32, 2), operator.inv(5))
print(operator.not_(0), operator.truth([]), operator.is_(None, None), operator.is_not(1, None), operator.abs(-3))
print(operator.concat([1], [2]), operator.contains([1, 2], 2), operator.countOf([1, 2, 1], 1), operator.indexOf([4, 5], 5))
d = {'a': 1}
operator.setitem(d, 'b', 2)
print(operator.getitem(d, 'b'), d)
operator.delitem(d, 'a')
print(d)
rows = [(3, 'c', 9), (1, 'a', 7), (2, 'b', 8)]
print(sorted(rows, key=itemgetter(0)))
print(sorted(rows, key=itemgetter(2, 1)))
print(itemgetter(1)('hello'), itemgetter(slice(1, 3))('hello'), itemgetter('x')({'x': 5}))
people = [P('bob', 30, P('tim', 3)), P('al', 25, P('sue', 1))]
print([p.name for p in sorted(people, key=attrgetter('age'))])
print(attrgetter('child.name')(people[0]), attrgetter('name', 'child.age')(people[1]))
print(methodcaller('greet', 'hi')(people[0]), methodcaller('greet', 'yo', punct='?')(people[1]))
print(methodcaller('upper')('abc'), methodcaller('split', ',')('a,b,c'))
print(repr(itemgetter(1, 2)), repr(attrgetter('a.b')), repr(methodcaller('f', 1, k=2)))
from functools import reduce
print(reduce(operator.mul, range(1, 8)), reduce(operator.add, ['a', 'b', 'c']))
print(list(map(operator.mul, [1, 2, 3], [4, 5, 6])))
acc = 0
for i in range(300):
    acc = operator.add(acc, operator.mul(i, 2)) % 10007
    acc = operator.sub(acc, itemgetter(0)((i, 1)))
print(acc)
