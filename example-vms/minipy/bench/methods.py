class Shape:
    def area(self):
        return 0
class Square(Shape):
    def __init__(self, a):
        self.a = a
    def area(self):
        return self.a * self.a
class Rect(Shape):
    def __init__(self, w, h):
        self.w = w
        self.h = h
    def area(self):
        return self.w * self.h
shapes = [Square(3), Rect(2, 5), Square(4), Rect(1, 1)]
total = 0
for i in range(1000000):
    total += shapes[i & 3].area()
print(total)
