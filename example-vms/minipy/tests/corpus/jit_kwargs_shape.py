# A traced f(*args, **kw) must not reuse the keyword names of the dict
# it was traced with for a dict with other keys.


def power(base, exp, mod=None):
    r = base ** exp
    return r if mod is None else r % mod


def call(f, *args, **kw):
    return f(*args, **kw)


class Partial:
    def __init__(self, func, *args, **keywords):
        self.func = func
        self.args = args
        self.keywords = keywords

    def __call__(self, *args, **keywords):
        kw = dict(self.keywords)
        kw.update(keywords)
        return self.func(*self.args, *args, **kw)


sq = Partial(power, exp=2)
two_to = Partial(power, 2)
print(sq(5), two_to(10), two_to(10, mod=1000), sq(7, mod=10))


def show(**kw):
    return sorted(kw.items())


out = []
for i in range(60):
    if i % 3 == 0:
        d = {'a': i}
    elif i % 3 == 1:
        d = {'a': i, 'b': -i}
    else:
        d = {}
    out.append(call(show, **d))
    out.append(call(power, 2, i % 7, **({'mod': 5} if i % 2 else {})))
print(out)
try:
    call(power, 2, 3, **{'nope': 1})
except TypeError as e:
    print('TypeError', e)
