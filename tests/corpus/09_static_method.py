import numpy as np


class Backprop:
    """I grouped my functions in a class, the way we did in the Java course."""

    @staticmethod
    def tanh_prime(A):
        return 1 - A ** 2

    @staticmethod
    def backward_propagation(parameters, cache, X, Y):
        m = X.shape[1]
        dZ2 = cache["A2"] - Y
        dW2 = dZ2.dot(cache["A1"].T) / m
        db2 = dZ2.sum(axis=1, keepdims=True) / m
        dZ1 = parameters["W2"].T.dot(dZ2) * Backprop.tanh_prime(cache["A1"])
        dW1 = dZ1.dot(X.T) / m
        db1 = dZ1.sum(axis=1, keepdims=True) / m
        return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
