# Imported by cpython_gaps.py: raises while being imported (every time).
print("running mp_failing")
if __name__ != "__main__":
    x = 1 / 0
