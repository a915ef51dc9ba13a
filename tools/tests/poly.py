class A:
    def __init__(self, x):
        self.x = x
    def get(self):
        return self.x

class B:
    def __init__(self, x):
        self.y = x
    def get(self):
        return self.y * 2

def run(n):
    objs = [A(1), B(2), A(3)]
    total = 0
    i = 0
    while i < n:
        o = objs[i % 3]
        total += o.get()
        if i % 7 == 0:
            total -= 1
        i += 1
    return total

print(run(30000))
