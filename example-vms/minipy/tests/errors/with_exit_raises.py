class Res:
    def __enter__(self):
        return self

    def __exit__(self, t, v, tb):
        print("closing", t.__name__)
        raise RuntimeError("close failed")


with Res():
    raise ValueError("work failed") from None
