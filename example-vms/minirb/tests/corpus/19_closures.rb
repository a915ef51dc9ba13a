def make_counter
  count = 0
  increment = -> { count += 1 }
  get = -> { count }
  [increment, get]
end
inc, get = make_counter
3.times { inc.call }
p get.call
inc2, get2 = make_counter
inc2.()
p get2.(), get.()
def each_pair_sum(arr)
  total = 0
  arr.each_cons(2) { |a, b| total += a * b }
  total
end
p each_pair_sum([1, 2, 3, 4])
x = 1
change = proc { x = 99 }
change.call
p x
def run_twice
  yield
  yield
end
n = 0
run_twice { n += 10 }
p n
nested = [1, 2].map { |a| [10, 20].map { |b| a + b } }
p nested
acc = []
[1, 2, 3].each do |i|
  [4, 5].each do |j|
    next if j == 5 && i == 2
    acc << [i, j]
  end
end
p acc
def finder(list, target)
  list.each_with_index do |v, i|
    return i if v == target
  end
  -1
end
p finder([5, 6, 7], 7), finder([1], 9)
found = [1, 2, 3, 4].each { |v| break v if v > 2 }
p found
sum = 0
1.upto(4) { |i| sum += i }
10.downto(8) { |i| sum += i }
p sum
compose = [:upcase, :reverse].map { |m| m.to_proc }
p compose.inject("abc") { |s, f| f.call(s) }
curry = ->(a) { ->(b) { ->(c) { a + b + c } } }
p curry[1][2][3]
ys = []
loop_i = 0
loop do
  loop_i += 1
  next if loop_i.odd?
  ys << loop_i
  break if loop_i >= 8
end
p ys
