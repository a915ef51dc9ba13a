def classify(x)
  case x
  when 0 then "zero"
  when 1..9 then "small"
  when Integer then "big"
  when String, Symbol then "text"
  else "other"
  end
end
[0, 5, 50, "s", :t, 1.5].each { |v| puts classify(v) }
i = 0
while i < 5
  i += 1
  next if i == 2
  break if i == 4
  puts i
end
until i == 0
  i -= 1
end
puts i
puts (i > 0 ? "pos" : "nonpos")
puts "yes" if true
puts "no" unless false
r = [1, 2, 3].each do |v|
  break v * 10 if v == 2
end
p r
p (1..3).map { |v| next 0 if v == 2; v }
v = begin
  42
end
p v
n = 0
begin
  n += 1
end while n < 3
p n
p (not true), (true and false), (nil or 7)
x = 5
x = x > 3 && x < 10 ? :mid : :out
p x
case 7
when ->(q) { q > 5 } then puts "lambda match"
end
result = if false then 1 elsif nil then 2 else 3 end
p result
for k in 1..3
  print k
end
puts
p k
p [1, 2, 3].each_slice(2).map(&:sum) rescue p :x
p loop { break 9 }
