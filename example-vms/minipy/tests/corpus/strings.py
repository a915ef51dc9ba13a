# String methods and formatting.
s = "The Quick Brown Fox"
print(s.lower().split(), s.title(), s.swapcase(), s.count("o"), s.rfind("o"), s.index("Q"))
print("a-b-c".split("-", 1), "a-b-c".rsplit("-", 1), "  x y  ".split(" "), "l1\nl2\n".splitlines())
print("abc".center(9, "*"), "abc".ljust(6) + "|", "abc".rjust(6), "42".zfill(5), "-42".zfill(5))
print("hello"[1:-1], "hello"[::-2], "x" * 3, "ab" + "cd", "abc" * 0 == "", "é".upper(), len("héllo"))
print("Hello".isalpha(), "123".isdigit(), "   ".isspace(), "ab1".isalnum(), "ABC".isupper(), "abc".islower())
print("a,b,,c".split(","), ",".join(["x"]), "".join([]), "abc".replace("b", ""), "aaa".replace("a", "b", 2))
print("{} and {}".format(1, "two"), "{1}{0}".format("a", "b"), "{name}!".format(name="hi"), "{:>6.2f}|".format(3.14159))
print("{0!r} {0!s}".format("q"), "{:,}".format(1234567), "{:08.3f}".format(-3.5), "{:+d}".format(5), "{:^7}".format("mid"))
print(f"{'left':<8}|{'right':>8}|{3.0:g}|{1e-7:g}|{123456789.0:g}|{0.5:%}|{12:o}|{255:X}|{1e10:e}")
print("%c%c" % (72, "i"), "%r" % ([1],), "%x %o %e" % (255, 8, 12345.678), "%-6s|%6.2f" % ("ab", 2.5))
print(str(1.5e300 * 1e10), str(-1e-310), repr(0.1 * 3), 2.0 ** 62, 1e16 + 1, float(10 ** 20))
print(ord("€"), chr(8364), "ab" < "b", "B" < "a", sorted(["banana", "Apple", "cherry"]))
print("partition".partition("ti"), "x".partition("y"), "prefix_x".removeprefix("prefix_"))
words = ["apple", "bob", "kayak", "level", "python"]
print([w for w in words if w == w[::-1]])
print("tab\there", repr("tab\there"), repr("new\nline"), repr("back\\slash"), "q'uote", repr("both'\""))
