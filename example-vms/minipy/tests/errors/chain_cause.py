def load(name):
    try:
        return {"a": 1}[name]
    except KeyError as e:
        raise LookupError("no such key: " + name) from e


def main():
    try:
        load("b")
    except LookupError:
        x = 1 / 0


main()
