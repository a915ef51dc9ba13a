import mp_pkg.square
import mp_pkg.square
print(mp_pkg.VERSION, mp_pkg.square.Square(3).area())
from mp_pkg.geo.points import unit
print(unit().area())
from mp_pkg import geo
print(geo.points.unit().s)
import mp_pkg.geo.points as pts
print(pts is geo.points)
from mp_pkg import base, square
print(square.Square.__mro__[1] is base.Shape)
m = __import__("mp_pkg.base")
print(m is mp_pkg, m.base.Shape is base.Shape)
try:
    import mp_pkg.nothing
except ModuleNotFoundError as e:
    print(e)
try:
    from mp_pkg import nothing
except ImportError as e:
    print(type(e).__name__, str(e).split(" (")[0])
try:
    import mp_pkg.VERSION.x
except ModuleNotFoundError as e:
    print(e)
