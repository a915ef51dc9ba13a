printf("%d-%s\n", 5, "x")
puts format("%08.3f|%+d|%-6s|%3d|%%", 3.14159, 5, "ab", 7)
puts sprintf("%b %o %X %c", 10, 8, 255, 65)
p 1.is_a?(Integer), 1.0.class, nil.class, true.class, :a.class, (1..2).class, [].class, {}.class, "".class
p nil.to_a, nil.to_s, nil.inspect, nil & true, true ^ true, false | true
p 5.send(:+, 3), "abc".public_send(:upcase), [1, 2].respond_to?(:each)
p defined?(foo), defined?(puts), defined?(String), defined?(@x), defined?(zz = 1)
a = 5
p defined?(a)
p __FILE__.end_with?("12_misc_kernel.rb"), __LINE__
p RUBY_ENGINE, ARGV
p [1, 2, 3].frozen?, "lit".dup.frozen?, :sym.frozen?, 1.frozen?
obj = Object.new
def obj.method_missing(name, *args)
  name.to_s.start_with?("get_") ? "got #{name.to_s.sub('get_', '')} #{args.inspect}" : super
end
def obj.respond_to_missing?(name, priv = false) = name.to_s.start_with?("get_") || super
p obj.get_thing(1), obj.respond_to?(:get_x), obj.respond_to?(:other)
begin
  obj.other
rescue NoMethodError => e
  p e.class
end
class Dyn
  [:a, :b].each_with_index do |m, i|
    define_method(m) { i }
    define_method("#{m}_plus") { |x| x + i }
  end
end
p Dyn.new.a, Dyn.new.b_plus(10), Dyn.instance_methods(false).sort
p 10.times.map { |i| i } rescue p (0...10).to_a
srand(1)
p rand(10).is_a?(Integer), rand.is_a?(Float)
t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
t1 = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
p t0.is_a?(Float), t1.is_a?(Integer)
p Time.now.class
p File.dirname("/a/b/c.rb"), File.basename("/a/b/c.rb"), File.exist?(__FILE__), File.exist?("/nonexistent/x")
x = [1, 2, 3].tap { |arr| arr.push(4) }
p x, 5.then { |v| v * 2 }
p Integer("0x1A", exception: false) rescue p 26
p Float("1.5"), String(12), Array(nil), Array([1]), Array(1..3)
p :abc <=> :abd, :abc.to_proc.call("x") rescue p :sym
p 1.object_id == 1.object_id, "a".equal?("a")
p 100.digits, 3.14.to_s, 10.0.to_i, 7.to_s.rjust(3, "0")
alias_test = "x"
class String
  alias_method :shout, :upcase
end
p alias_test.shout
p [1, 2, 3].sum.to_s.size, 12345678901234567890.to_s.size
