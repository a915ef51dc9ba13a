counter = 0
inc = -> { counter += 1 }
3.times { inc.call }
p counter
add = ->(a, b) { a + b }
p add.(1, 2), add[3, 4], add.call(5, 6)
sq = proc { |x| (x || 0) * x.to_i }
p sq.call(4), sq.call(3, 99), sq.lambda?, add.lambda?
make = lambda do |n|
  ->(x) { x + n }
end
p make.call(10).call(5)
def run
  yield
end
def outer
  [1, 2, 3].each do |x|
    return x * 100 if x == 2
  end
  :none
end
p outer
p [1, 2, 3].map(&:to_s), %w[a b].map(&:upcase)
adders = (1..3).map { |i| ->(x) { x + i } }
p adders.map { |f| f.call(10) }
def block_to_proc(&b) = b
pr = block_to_proc { |x| x * 3 }
p pr.call(3), [1, 2].map(&pr)
x = 10
[1].each { |y; x| x = y }
p x
def count_calls
  n = 0
  yield -> { n += 1 }
  n
end
p count_calls { |c| c.call; c.call }
l = lambda { |a, b = 2| [a, b] }
p l.call(1), l.arity, proc { |a, b| }.arity, proc { |*a| }.arity
begin
  l.call
rescue ArgumentError => e
  puts e.message
end
memo = Hash.new { |h, n| h[n] = n < 2 ? n : h[n - 1] + h[n - 2] }
p memo[40]
y = 5
blk = proc { y += 1 }
blk.call
blk.call
p y
p [3, 1, 2].sort_by { -_1 }, [1, 2].map { _1 * 2 }
compose = ->(f, g) { ->(v) { f.(g.(v)) } }
p compose.(->(v) { v + 1 }, ->(v) { v * 2 }).(5)
def yield_many = yield(1, 2, 3)
p yield_many { |a, *rest| [a, rest] }
p yield_many { |a| a }
