# Hot loops: traced and compiled with --jit on.
def sum_to(n)
  s = 0
  i = 0
  while i < n
    s += i
    i += 1
  end
  s
end
p sum_to(100_000)
t = 0
20_000.times { |i| t += i * 2 }
p t
arr = Array.new(1000) { |i| i }
acc = 0
30.times { arr.each { |v| acc += v } }
p acc
# overflow inside a hot loop
v = 1
i = 0
while i < 200
  v = v * 3 + 1
  i += 1
end
p v.to_s.size
# polymorphism
class A; def val = 1; end
class B; def val = 2.5; end
objs = [A.new, B.new] * 500
s = 0
objs.each { |o| s += o.val }
p s
# guard failures: type changes mid-loop
xs = (1..3000).map { |k| k % 1000 == 0 ? k.to_f : k }
tot = 0
xs.each { |k| tot += k }
p tot
# exceptions in a hot loop
caught = 0
3000.times do |k|
  begin
    raise ArgumentError if k % 500 == 0
  rescue ArgumentError
    caught += 1
  end
end
p caught
h = {}
5000.times { |k| h[k % 97] = (h[k % 97] || 0) + 1 }
p h.size, h[3]
str = +""
2000.times { |k| str << (k % 10).to_s }
p str.size, str[0, 12]
def deep(n) = n.zero? ? 0 : 1 + deep(n - 1)
p 200.times.sum { deep(50) } rescue p (1..200).sum { deep(50) }
fl = 0.0
10000.times { |k| fl += k * 0.5 }
p fl
