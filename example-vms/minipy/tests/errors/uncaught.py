def inner(x):
    return 10 // x

def outer(n):
    return inner(n - 1)

print("before")
outer(1)
print("not reached")
