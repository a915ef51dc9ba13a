s = "Hello, World"
puts s.size, s.upcase, s.downcase, s.reverse, s[0], s[-1], s[0, 5], s[0..4], s[7..]
puts s.include?("World"), s.start_with?("Hell"), s.end_with?("x")
puts s.sub("World", "Ruby"), s.gsub("l", "L"), s.index("o"), s.count("l")
puts "  pad  ".strip + "|", "a,b,,c".split(",").inspect, "a b  c".split.inspect
puts "abc".chars.inspect, "ab".bytes.inspect
t = "x"
t << "y" << "z"
puts t, t * 3, t + "!"
puts "%05d|%-5s|%x|%s" % [42, "ab", 255, :sym]
puts "abc".ljust(6, ".") + "|", "abc".rjust(6) + "|", "abc".center(9, "*")
puts "42".to_i + 1, "3.5".to_f * 2, "12abc".to_i, "abc".to_sym.inspect
puts "hello world".capitalize, "Hello".swapcase, "a-b-c".tr("-", "_")
name = "Bob"
puts "Hi #{name}, #{1 + 2} #{[1, 2]} #{nil} #{:s}"
puts "line1\nline2".lines.inspect
puts "abc" <=> "abd", "b" > "a", "abc" == "abc"
puts "hello"[1..-2], "hello".each_char.to_a.inspect rescue puts "no enum"
"ab".each_char { |c| print c, "-" }
puts
p "tab\there", 'single #{x}', "q\"uote"
puts "abc".succ, "az".succ, "zz".succ
puts "Hello".freeze.frozen?, "x".frozen?
