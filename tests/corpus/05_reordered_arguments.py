import numpy as np


def backward_propagation(cache, x, y, Parameters):
    """Same maths as the course, but I put the arguments in the order I use them."""
    n_examples = x.shape[1]
    a1, a2 = cache["A1"], cache["A2"]
    w2 = Parameters["W2"]

    dz2 = a2 - y
    dw2 = dz2 @ a1.T / n_examples
    db2 = dz2.sum(axis=1, keepdims=True) / n_examples

    dz1 = (w2.T @ dz2) * (1.0 - a1 * a1)
    dw1 = dz1 @ x.T / n_examples
    db1 = dz1.sum(axis=1, keepdims=True) / n_examples
    return {"dW1": dw1, "db1": db1, "dW2": dw2, "db2": db2}
