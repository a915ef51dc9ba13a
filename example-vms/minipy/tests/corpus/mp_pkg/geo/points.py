from ..square import Square
from .. import VERSION
def unit():
    return Square(1)
print("points sees", VERSION)
