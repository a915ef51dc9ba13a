def fail_deep(n)
  raise ArgumentError, "deep failure" if n == 0
  fail_deep(n - 1)
end
puts "before"
fail_deep(3)
puts "never"
