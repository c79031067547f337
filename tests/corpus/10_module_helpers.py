import numpy as np

ONE = 1.0
AXIS_EXAMPLES = 1


def tanh_derivative(A):
    return ONE - np.square(A)


def weight_gradient(dZ, A_prev, m):
    return np.dot(dZ, A_prev.T) / m


def bias_gradient(dZ, m):
    return np.sum(dZ, axis=AXIS_EXAMPLES, keepdims=True) / m


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * tanh_derivative(A1)
    return {
        "dW1": weight_gradient(dZ1, X, m),
        "db1": bias_gradient(dZ1, m),
        "dW2": weight_gradient(dZ2, A1, m),
        "db2": bias_gradient(dZ2, m),
    }
