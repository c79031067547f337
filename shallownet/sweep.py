"""The course's hidden-layer-size experiment: train one network per n_h, compare accuracies.

Each size starts from the course's init by default (legacy seed 2, as its
nn_model does), in float64, so the table reproduces the course's published
one; a logistic-regression row (no hidden layer) is added for comparison.
``train_each`` trains any list of run configurations (``config.sweep_grid``:
hidden sizes x seeds x learning rates), one network after another.
"""
import numpy as np

from . import logistic, train


def _accuracy(X, Y, *, hidden_units, iterations, lr, activation, gradients, dtype, init, seed, chunk):
    """Training accuracy (%) of one network, or None when its cost diverged."""
    params = train.init_params(X.shape[0], hidden_units, Y.shape[0], seed, init)
    try:
        params, _ = train.train(params, X, Y, activation=activation, output="sigmoid", gradients=gradients, lr=lr,
                                iterations=iterations, chunk=min(chunk, iterations), dtype=dtype)
    except train.Diverged:
        return None
    return train.accuracy(params, X, Y, activation, "sigmoid")


def _with_baseline(rows, X, Y):
    model = logistic.fit(X, Y)
    return rows + [("logistic regression", 0, logistic.accuracy(model, X, Y))]


def hidden_sizes(X, Y, sizes, *, iterations=5000, lr=1.2, activation="tanh", gradients="manual",
                 dtype="float64", init="course", seed=0, chunk=1000):
    """Training accuracy (%) per hidden size, then logistic regression: list of (name, n_h, accuracy)."""
    X = np.asarray(X, dtype)
    Y = np.asarray(Y, dtype)
    rows = [(f"n_h = {n_h}", n_h, _accuracy(X, Y, hidden_units=n_h, iterations=iterations, lr=lr,
                                            activation=activation, gradients=gradients, dtype=dtype, init=init,
                                            seed=seed, chunk=chunk))
            for n_h in sizes]
    return _with_baseline(rows, X, Y)


def train_each(configs, X, Y):
    """Training accuracy (%) of each RunConfig (accuracy None: diverged), then logistic regression.

    Rows (name, n_h, accuracy); the name shows the settings that vary across ``configs``.
    All configs share the data (X, Y) and its dtype (that of the first).
    """
    dtype = configs[0].dtype
    X, Y = np.asarray(X, dtype), np.asarray(Y, dtype)
    varied = [k for k in ("lr", "seed") if len({getattr(c, k) for c in configs}) > 1]
    rows = []
    for c in configs:
        name = f"n_h = {c.hidden_units}" + "".join(f", {k} = {getattr(c, k)}" for k in varied)
        rows.append((name, c.hidden_units, _accuracy(
            X, Y, hidden_units=c.hidden_units, iterations=c.iterations, lr=c.lr, activation=c.activation,
            gradients=c.gradients, dtype=c.dtype, init=c.init, seed=c.seed, chunk=c.chunk)))
    return _with_baseline(rows, X, Y)


def table(rows):
    """Aligned text table: model, hidden units, training accuracy ("diverged" when None)."""
    width = max([22] + [len(name) + 2 for name, _, _ in rows])
    lines = [f"{'model':<{width}}{'hidden units':>14}{'accuracy %':>12}"]
    lines += [f"{name:<{width}}{n_h:>14}" + (f"{'diverged':>12}" if acc is None else f"{acc:>12.2f}")
              for name, n_h, acc in rows]
    return "\n".join(lines)
