# A user __eq__ that changes the dict or set being searched: the lookup
# starts over (as CPython's does) instead of using a stale slot.
victims = []


class K:
    def __init__(self, v, grow=False):
        self.v = v

    def __hash__(self):
        return self.v % 4

    def __eq__(self, o):
        if victims:
            t = victims.pop()
            if isinstance(t, dict):
                t.clear()
            else:
                for i in range(100, 140):
                    t.add(i)
        return self.v == o.v


d = {K(i): i for i in range(8)}
victims.append(d)
print(K(1, True) in d, len(d))
d = {K(i): i for i in range(8)}
victims.append(d)
print(d.get(K(5, True), 'gone'), len(d))
d = {K(i): i for i in range(8)}
victims.append(d)
try:
    del d[K(2, True)]
except KeyError as e:
    print('KeyError', e.args[0].v)
print(len(d))

s = {K(i) for i in range(6)}
victims.append(s)
print(K(3, True) in s, len(s))
s = {K(i) for i in range(6)}
victims.append(s)
s.discard(K(4, True))
print(len(s))
s = {K(i) for i in range(6)}
victims.append(s)
s.add(K(9, True))
print(len(s))
