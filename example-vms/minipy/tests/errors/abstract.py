from abc import ABC, abstractmethod


class Store(ABC):
    @abstractmethod
    def get(self, key):
        pass

    @abstractmethod
    def put(self, key, value):
        pass


class Half(Store):
    def get(self, key):
        return None


Half()
