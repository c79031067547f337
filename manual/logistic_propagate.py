"""The course's week 2 by hand: logistic regression's ``propagate(w, b, X, Y)``.

The course's names and shapes: w (n_x, 1), b a scalar, X (n_x, m) with the
examples as columns, Y (1, m) of 0/1 labels. A network with no hidden layer::

    A    = σ(wᵀ X + b)                                   (1, m)
    cost = -(1/m) Σ (Y log A + (1 - Y) log(1 - A))       a scalar
    dw   = (1/m) X (A - Y)ᵀ                              (n_x, 1)
    db   = (1/m) Σ (A - Y)                               a scalar

It returns ``({"dw": dw, "db": db}, cost)``, as the course's function does.
"""

import jax.numpy as jnp

from .activations import sigmoid
from .typing import Array


def logistic_activation(w: Array, b: Array, X: Array) -> Array:
    """A = σ(wᵀ X + b): (n_x, 1), scalar, (n_x, m) -> (1, m)."""
    return sigmoid(w.T @ X + b)


def logistic_cost(A: Array, Y: Array) -> Array:
    """-(1/m) Σ (Y log A + (1 - Y) log(1 - A)), a scalar (shape ())."""
    m = Y.shape[1]
    return -jnp.sum(Y * jnp.log(A) + (1 - Y) * jnp.log(1 - A)) / m


def logistic_dw(X: Array, A: Array, Y: Array) -> Array:
    """dw = (1/m) X (A - Y)ᵀ: (n_x, m) @ (m, 1) -> (n_x, 1)."""
    return X @ (A - Y).T / Y.shape[1]


def logistic_db(A: Array, Y: Array) -> Array:
    """db = (1/m) Σ (A - Y), a scalar (shape ())."""
    return jnp.sum(A - Y) / Y.shape[1]


def propagate(w: Array, b: Array, X: Array, Y: Array) -> tuple[dict[str, Array], Array]:
    """The course's ``propagate``: ({"dw": (n_x, 1), "db": ()}, cost ())."""
    A = logistic_activation(w, b, X)
    return {"dw": logistic_dw(X, A, Y), "db": logistic_db(A, Y)}, logistic_cost(A, Y)
