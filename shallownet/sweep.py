"""The course's hidden-layer-size experiment: train one network per n_h, compare accuracies.

Each size starts from the course's init by default (legacy seed 2, as its
nn_model does), in float64, so the table reproduces the course's published
one; a logistic-regression row (no hidden layer) is added for comparison.
"""
import numpy as np

from . import logistic, train


def hidden_sizes(X, Y, sizes, *, iterations=5000, lr=1.2, activation="tanh", gradients="manual",
                 dtype="float64", init="course", seed=0, chunk=1000):
    """Training accuracy (%) per hidden size, then logistic regression: list of (name, n_h, accuracy)."""
    X = np.asarray(X, dtype)
    Y = np.asarray(Y, dtype)
    rows = []
    for n_h in sizes:
        params = train.init_params(X.shape[0], n_h, Y.shape[0], seed, init)
        params, _ = train.train(params, X, Y, activation=activation, output="sigmoid", gradients=gradients, lr=lr,
                                iterations=iterations, chunk=chunk, dtype=dtype)
        rows.append((f"n_h = {n_h}", n_h, train.accuracy(params, X, Y, activation, "sigmoid")))
    model = logistic.fit(X, Y)
    rows.append(("logistic regression", 0, logistic.accuracy(model, X, Y)))
    return rows


def table(rows):
    """Aligned text table: model, hidden units, training accuracy."""
    lines = [f"{'model':<22}{'hidden units':>14}{'accuracy %':>12}"]
    lines += [f"{name:<22}{n_h:>14}{acc:>12.2f}" for name, n_h, acc in rows]
    return "\n".join(lines)
