print("init shapes")
from .base import Shape
VERSION = "1.0"
