import numpy as np


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1 = cache["A1"]
    A2 = cache["A2"]
    dz2 = A2 - Y
    dw2 = 1. / m * np.dot(dz2, A1.T)
    db2 = 1. / m * np.sum(dz2, axis=1, keepdims=True)
    dz1 = np.dot(W2.T, dz2) * (1 - A1 ** 2)
    dw1 = 1. / m * np.dot(dz1, X.T)
    db1 = 1. / m * np.sum(dz1, axis=1, keepdims=True)
    # my variables are lower case, so are my keys
    return {"dw1": dw1, "db1": db1, "dw2": dw2, "db2": db2}
