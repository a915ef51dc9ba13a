import string

print(string.ascii_letters)
print(string.ascii_lowercase)
print(string.ascii_uppercase)
print(string.digits)
print(string.hexdigits)
print(string.octdigits)
print(string.punctuation)
print(repr(string.whitespace))
print(repr(string.printable))
print(string.capwords('hello   world  foo'))
print(string.capwords('hello-world-foo', '-'))
print(string.capwords('  ALL caps HERE '))
print(len(string.printable), sum(1 for c in 'Hello, World!' if c in string.punctuation))


class Q:
    def __init__(self):
        print('init not called')


q = object.__new__(Q)
print(type(q).__name__, isinstance(q, Q))
q.v = 1
print(q.v)
