//! x86-64 code generation for Metatrace (dynasm). Not written yet: see the backend issues.
