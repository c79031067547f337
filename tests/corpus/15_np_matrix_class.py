import numpy as np


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = np.matrix(parameters["W2"])
    A1 = np.matrix(cache["A1"])
    A2 = np.matrix(cache["A2"])
    X = np.matrix(X)
    dZ2 = A2 - Y
    dW2 = dZ2 * A1.T / m                      # * is the matrix product for np.matrix
    db2 = dZ2.sum(axis=1) / m                 # a matrix stays 2-D: (n_y, 1)
    dZ1 = np.multiply(W2.T * dZ2, 1 - np.multiply(A1, A1))
    dW1 = dZ1 * X.T / m
    db1 = dZ1.sum(axis=1) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
