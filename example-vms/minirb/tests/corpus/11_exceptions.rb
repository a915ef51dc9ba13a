class MyError < StandardError
  def initialize(msg = "my default")
    super
  end
end
class OtherError < MyError; end
def risky(n)
  raise MyError if n == 0
  raise OtherError, "other #{n}" if n == 1
  raise ArgumentError.new("arg") if n == 2
  raise "plain" if n == 3
  n
end
(0..4).each do |i|
  begin
    p risky(i)
  rescue OtherError => e
    puts "other: #{e.message}"
  rescue MyError => e
    puts "my: #{e.message} #{e.class}"
  rescue ArgumentError, TypeError => e
    puts "arg: #{e.message}"
  rescue => e
    puts "std: #{e.message} #{e.class}"
  else
    puts "no error"
  ensure
    puts "ensure #{i}"
  end
end
def with_ensure
  return :from_body
ensure
  puts "in ensure"
end
p with_ensure
tries = 0
begin
  tries += 1
  raise "again" if tries < 3
  puts "done after #{tries}"
rescue
  retry
end
x = Integer("42") rescue 0
y = Integer("zz") rescue -1
p x, y
begin
  1 / 0
rescue ZeroDivisionError => e
  p e.message, e.class, e.is_a?(StandardError)
end
begin
  nil.foo
rescue NoMethodError => e
  p e.class, e.message.start_with?("undefined method `foo'")
end
begin
  [].fetch(5) rescue raise IndexError, "idx"
rescue IndexError => e
  p e.message
end
r = catch(:found) do
  10.times { |i| throw :found, i * 10 if i == 3 }
  :never
end
p r
begin
  raise TypeError, "tt"
rescue StandardError => e
  p [e.class, e.message, e.class.ancestors.take(3)]
end
def nested
  yield
rescue ArgumentError
  :rescued_in_method
end
p nested { raise ArgumentError }
begin
  begin
    raise "inner"
  ensure
    puts "inner ensure"
  end
rescue => e
  puts "outer got #{e.message}"
end
e = RuntimeError.new("custom")
p e.message
p (raise "x" rescue "rescued modifier")
begin
  raise KeyError, "missing"
rescue IndexError => e
  p e.class
end
class ValidationError < StandardError
  attr_reader :field
  def initialize(field)
    @field = field
    super("invalid #{field}")
  end
end
begin
  raise ValidationError.new(:name)
rescue ValidationError => e
  p e.field, e.message
end
p StopIteration.ancestors.include?(IndexError), ZeroDivisionError.superclass
