# minipy's `enum` module. Members are created when a subclass of Enum is
# built (see `enums.rs`); the class itself iterates, has a len and is
# indexable by member name through the same hooks.


class auto:
    pass


class Enum:
    __enum__ = True

    def __repr__(self):
        return '<' + type(self).__name__ + '.' + self._name_ + ': ' + repr(self._value_) + '>'

    def __str__(self):
        return type(self).__name__ + '.' + self._name_


def _iv(x):
    # The int an IntEnum operand stands for (other operands as they are).
    if isinstance(x, IntEnum):
        return x._value_
    return x


class IntEnum(int, Enum):
    # Members are ints to arithmetic, comparisons, hashing, indexing and
    # formatting. `int` is in the MRO (isinstance), but the members are
    # plain instances: these methods, and builtins wanting an int (see
    # `enums::int_value`), use `_value_`. str() and format() print the
    # value (3.11).
    def __str__(self):
        return str(self._value_)

    def __format__(self, spec):
        return format(self._value_, spec)

    def __int__(self):
        return self._value_

    def __index__(self):
        return self._value_

    def __float__(self):
        return float(self._value_)

    def __bool__(self):
        return self._value_ != 0

    def __hash__(self):
        return hash(self._value_)

    def __eq__(self, o):
        return self._value_ == _iv(o)

    def __ne__(self, o):
        return self._value_ != _iv(o)

    def __lt__(self, o):
        return self._value_ < _iv(o)

    def __le__(self, o):
        return self._value_ <= _iv(o)

    def __gt__(self, o):
        return self._value_ > _iv(o)

    def __ge__(self, o):
        return self._value_ >= _iv(o)

    def __neg__(self):
        return -self._value_

    def __abs__(self):
        return abs(self._value_)

    def __add__(self, o):
        return self._value_ + _iv(o)

    def __radd__(self, o):
        return _iv(o) + self._value_

    def __sub__(self, o):
        return self._value_ - _iv(o)

    def __rsub__(self, o):
        return _iv(o) - self._value_

    def __mul__(self, o):
        return self._value_ * _iv(o)

    def __rmul__(self, o):
        return _iv(o) * self._value_

    def __floordiv__(self, o):
        return self._value_ // _iv(o)

    def __rfloordiv__(self, o):
        return _iv(o) // self._value_

    def __truediv__(self, o):
        return self._value_ / _iv(o)

    def __rtruediv__(self, o):
        return _iv(o) / self._value_

    def __mod__(self, o):
        return self._value_ % _iv(o)

    def __rmod__(self, o):
        return _iv(o) % self._value_

    def __pow__(self, o):
        return self._value_ ** _iv(o)

    def __and__(self, o):
        return self._value_ & _iv(o)

    def __rand__(self, o):
        return _iv(o) & self._value_

    def __or__(self, o):
        return self._value_ | _iv(o)

    def __ror__(self, o):
        return _iv(o) | self._value_

    def __lshift__(self, o):
        return self._value_ << _iv(o)

    def __rshift__(self, o):
        return self._value_ >> _iv(o)
