puts 1.0, 1.5, 0.1 + 0.2, 1e20, 1e16, 1.0e-5, 123456789.123456789
puts 10.0 / 3, 2.0 ** 0.5, -0.0, 1.0 / 0, -1.0 / 0
puts (0.0 / 0.0).nan?
puts 3.7.floor, 3.2.ceil, 3.5.round, -3.5.round, 3.14159.round(2), 2.675.round(2)
puts 3.99.to_i, 7.0.to_i, 10.to_f
puts 1.23456e-7, 100.0.to_s, 1e100.inspect
puts Math.sqrt(16), Math::PI, Math.sin(0), Math.cos(0)
puts format("%.3f", 3.14159), format("%5.1f|", 2.25), format("%e", 12345.678)
puts 1.5.to_s + "x"
p 0.1 * 3, 1.1 - 1.0
puts (1..4).sum / 4.0
