# str indexing, slicing, iteration and += building (ASCII and not):
# O(1) indexing and amortized appends must give CPython's answers.
s = "héllo wörld " * 50
t = "abc" * 10000
n = 0
for i in range(len(t)):
    if t[i] == "b":
        n += 1
print(n, len(s), s[3], s[-1], s[100:110], s[::-37], t[5:9], t[::-1][:4])
acc = ""
for i in range(20000):
    acc += "x" if i % 3 else "é"
print(len(acc), acc[:7], acc[-5:], acc.count("é"))
a = "p" * 70
b = a + "q"
c = a + "r"
print(b[-3:], c[-3:], a[-2:], len(a), b == c, b < c)
print([ch for ch in "héé!"], list(iter("ab")), "".join(reversed("héllo")))
d = {}
for w in ["ab", "a" + "b", "x" * 80 + "y", ("x" * 80) + "y"]:
    d[w] = d.get(w, 0) + 1
print(d)
print(s[0] is s[0], "é" in s, s.find("wö"), s.upper()[:12])
print(s[599], s[600:] == "", s[1000:2000])
try:
    s[600]
except IndexError as e:
    print("IndexError", e)
