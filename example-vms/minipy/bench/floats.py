def integrate(n):
    s = 0.0
    dx = 1.0 / n
    x = 0.0
    for i in range(n):
        s += x * x * dx + 0.5 * x * dx
        x += dx
    return s
print(integrate(3000000))
