x = 10
y = 3
puts x + y, x - y, x * y, x / y, x % y, x ** y
puts -7 / 2, -7 % 2, 7.fdiv(2)
puts 2 ** 100
puts (2 ** 64) - 1
puts 10.divmod(3).inspect, (-10).divmod(3).inspect
puts 255.to_s(2), 255.to_s(16), 65.chr, "A".ord
puts 5 & 3, 5 | 3, 5 ^ 3, 1 << 10, 1024 >> 3, ~5
puts 3.abs, -3.abs, 10.gcd(4)
a = 1
a += 2
a *= 3
puts a
b = nil
b ||= 5
b &&= b + 1
puts b
puts 1 == 1.0, 1.eql?(1.0), 1.equal?(1)
puts 1 <=> 2, 2 <=> 2, 3 <=> 2
puts 10.between?(1, 20), 15.clamp(1, 10)
puts 0.zero?, 4.even?, 3.odd?, 5.succ, 5.pred
puts Integer.sqrt(17), 2**62 + 2**62
