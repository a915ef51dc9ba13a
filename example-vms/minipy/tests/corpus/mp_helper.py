# A module imported by modules.py (prints nothing when run on its own).
GREETING = "hello from helper"
def double(x):
    return 2 * x
class Box:
    def __init__(self, v):
        self.v = v
    def __repr__(self):
        return "Box(%r)" % (self.v,)
_private = 1
