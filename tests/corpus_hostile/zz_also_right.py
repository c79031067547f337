# Another correct classmate, written differently (matrix operator, keyword names).


def backward_propagation(parameters, cache, X, Y):
    m = Y.shape[1]
    dZ2 = cache["A2"] - Y
    dZ1 = (parameters["W2"].T @ dZ2) * (1.0 - cache["A1"] * cache["A1"])
    return dict(
        dW1=dZ1 @ X.T / m,
        db1=dZ1.sum(axis=1, keepdims=True) / m,
        dW2=dZ2 @ cache["A1"].T / m,
        db2=dZ2.sum(axis=1, keepdims=True) / m,
    )
