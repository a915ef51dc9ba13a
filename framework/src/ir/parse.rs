//! Parser for PyPy's jit-log-opt text form. (stub, being written)
