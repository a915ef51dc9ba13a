def greet(name, greeting = "Hello", *rest, punct: "!", **opts, &blk)
  s = "#{greeting}, #{name}#{punct}"
  s += " #{rest.inspect}" unless rest.empty?
  s += " #{opts.inspect}" unless opts.empty?
  s = blk.call(s) if blk
  s
end
puts greet("A"), greet("B", "Hi"), greet("C", "Yo", 1, 2), greet("D", punct: "?")
puts greet("E") { |s| s.upcase }
puts greet("F", extra: 1)
def kw(a:, b: 2) = a + b
p kw(a: 1), kw(b: 5, a: 1)
begin
  kw
rescue ArgumentError => e
  puts e.message
end
def ret_multi = [1, 2]
q, w = ret_multi
p q, w
def early(x)
  return :neg if x < 0
  :pos
end
p early(-1), early(1)
def yielder
  return :noblock unless block_given?
  yield(1, 2) + yield(3, 4)
end
p yielder, yielder { |a, b| a * b }
def splat(*a) = a
p splat(*[1, 2], 3, *[])
arr = [[1, 2], [3, 4]]
arr.each { |(a, b)| print a + b, " " }
puts
p arr.map { |a, b| a * b }
begin
  greet
rescue ArgumentError => e
  puts e.message
end
def fib(n) = n < 2 ? n : fib(n - 1) + fib(n - 2)
p fib(20)
def recurse(n) = n == 0 ? 0 : 1 + recurse(n - 1)
p recurse(5000)
p method(:fib).call(10), [1, 2].map(&method(:fib)) rescue p :nomethodproc
def opt_mid(a, b = 2, c) = [a, b, c]
p opt_mid(1, 3), opt_mid(1, 2, 3)
p __method__.inspect
def m_with_meth = __method__
p m_with_meth
