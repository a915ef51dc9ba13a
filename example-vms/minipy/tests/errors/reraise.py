def f():
    try:
        [].pop()
    except IndexError:
        print("cleaning up")
        raise
f()
