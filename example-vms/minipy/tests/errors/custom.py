class AppError(Exception):
    pass

def load(name):
    raise AppError("cannot load " + name)

for i in range(3):
    print(i)
load("config")
