import numpy as np


def backward_propagation(parameters, cache, X, Y):
    # matrices make * the matrix product, like in MATLAB (written for NumPy 1.x)
    m = X.shape[1]
    W2 = np.mat(parameters["W2"])
    A1 = np.mat(cache["A1"])
    A2 = np.mat(cache["A2"])
    X = np.mat(X)
    dZ2 = A2 - Y
    dW2 = dZ2 * A1.T / m
    db2 = np.sum(dZ2, axis=1) / m
    dZ1 = np.multiply(W2.T * dZ2, 1 - np.multiply(A1, A1))
    dW1 = dZ1 * X.T / m
    db1 = np.sum(dZ1, axis=1) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
