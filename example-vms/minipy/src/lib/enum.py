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


class IntEnum(Enum):
    def __str__(self):
        return str(self._value_)
