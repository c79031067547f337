"""Predictions and scores, written once: every score of the app (train's summary, predict, a sweep's table,
``train.accuracy``) comes from here."""

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import memory
from .stack import Stack


def score(P: np.ndarray, Y: np.ndarray, output: str) -> float:
    """Accuracy in percent (sigmoid output: P holds 0/1 predictions) or mean squared error (identity) of P and Y
    (n_y, m). ValueError for a Y of another shape: a (m, 1) Y would broadcast to m x m (53% where the truth is 29%)."""
    from manual.checks import check_Y_shape

    P, Y = np.asarray(P), np.asarray(Y)
    check_Y_shape(Y.shape, P.shape, "the predictions")
    if Y.shape[0] != P.shape[0]:
        raise ValueError(f"Y has {Y.shape[0]} output rows (shape {Y.shape}); the predictions have {P.shape[0]}")
    if output == "sigmoid":
        bad = ~np.isin(Y, (0, 1))
        if bad.any():
            example = int(np.nonzero(bad)[1][0])
            raise ValueError(
                f"labels must be 0 or 1 for the sigmoid output; example {example + 1} has "
                f"{Y[:, example][bad[:, example]][0]:g} ({int(bad.sum())} such labels)"
            )
        return float(100.0 * np.mean((Y > 0.5) == P))
    if not np.all(np.isfinite(Y)):
        raise ValueError("Y contains NaN or infinite values")
    with np.errstate(over="ignore"):  # a diverged network's error is inf: a score, not a numpy warning on stderr
        return float(np.mean((P - Y) ** 2))


def forward(params: Any, X: Any, activation: str = "tanh", output: str = "sigmoid") -> np.ndarray:
    """A2 (n_y, m) numpy of one network, in the dtype of its W1: a stack of one (``forward_many``)."""
    return forward_many([params], X, activation=activation, output=output)[0]


def predictions(A2: np.ndarray, output: str) -> np.ndarray:
    """0/1 (uint8) for the sigmoid output, A2 itself for identity."""
    return (A2 > 0.5).astype(np.uint8) if output == "sigmoid" else A2


def forward_batched(params: Any, X: np.ndarray, activation: str, output: str) -> np.ndarray:
    """Predictions (n_y, m) over column batches of one width (the last zero-padded): bounded memory, one compile."""
    n_h, n_y = params["W1"].shape[0], params["W2"].shape[0]
    m = X.shape[1]
    batch = memory.evaluation_batch(n_h, n_y, np.dtype(params["W1"].dtype).itemsize, m)
    if batch >= m:
        return predictions(forward(params, X, activation, output), output)
    parts = []
    for first in range(0, m, batch):
        block = np.pad(X[:, first : first + batch], ((0, 0), (0, max(0, first + batch - m))))
        parts.append(predictions(forward(params, block, activation, output), output)[:, : m - first])
    return np.concatenate(parts, axis=1)


def forward_many(params: Sequence[Any], X: Any, *, activation: Any = "tanh", output: str = "sigmoid") -> np.ndarray:
    """A2 (N, n_y, m) numpy of every network of ``params`` on X (n_x, m), in one compiled call (a stack)."""
    import jax

    import manual

    from .step import predict_jit

    dtype = np.asarray(params[0]["W1"]).dtype if len(params) else np.asarray(X).dtype
    if not isinstance(X, jax.Array):  # a list or integer features, read in the parameters' dtype
        X = np.asarray(X, dtype)
    manual.checks.check_X(X)
    manual.checks.check_output(output)
    n_y = params[0]["W2"].shape[0] if len(params) else 1
    # A prediction takes no step: any valid learning rate will do.
    stack = Stack(params, X.shape[0], n_y, X.shape[1], lr=1.0, activation=activation, dtype=dtype)
    A2 = predict_jit(
        jax.device_put(stack.theta), jax.device_put(np.asarray(X, dtype)), layout=stack.layout, output=output
    )
    return np.asarray(A2)[stack.rows]
