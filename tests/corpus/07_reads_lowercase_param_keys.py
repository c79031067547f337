import numpy as np


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    w1 = parameters["w1"]
    w2 = parameters["w2"]
    a1 = cache["a1"]
    a2 = cache["a2"]
    dz2 = a2 - Y
    dw2 = np.dot(dz2, a1.T) / m
    db2 = np.sum(dz2, axis=1, keepdims=True) / m
    dz1 = np.dot(w2.T, dz2) * (1 - np.power(a1, 2))
    dw1 = np.dot(dz1, X.T) / m
    db1 = np.sum(dz1, axis=1, keepdims=True) / m
    return {"dW1": dw1, "db1": db1, "dW2": dw2, "db2": db2}
