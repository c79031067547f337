"""Logistic regression, the no-hidden-layer baseline the course compares against (~47% on flower).

    Z = W X + b,  A = sigma(Z),  J = cross-entropy,  dZ = A - Y,
    dW = (1/m) dZ X^T,  db = (1/m) sum over examples of dZ

Plain full-batch gradient descent compiled into one loop. The course used
scikit-learn's LogisticRegressionCV (L2-regularized, cross-validated); this is
the unregularized model trained to near convergence. On the flower data both
are a straight-line boundary and land at the same ~47% training accuracy: the
classes are not linearly separable.
"""

from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

import manual
from manual.typing import AnyArray

LR = 1.0
ITERATIONS = 10000


@partial(jax.jit, static_argnames=("iterations",))
def _fit(
    W: jax.Array, b: jax.Array, X: jax.Array, Y: jax.Array, lr: jax.Array, *, iterations: int
) -> tuple[jax.Array, jax.Array]:
    m = X.shape[1]

    def step(_: int, state: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
        W, b = state
        dZ = manual.sigmoid(manual.linear(W, X, b)) - Y
        return W - lr * manual.matmul_nt(dZ, X) / m, b - lr * jnp.sum(dZ, axis=1, keepdims=True) / m

    return lax.fori_loop(0, iterations, step, (W, b))


def fit(X: AnyArray, Y: AnyArray, lr: float = LR, iterations: int = ITERATIONS) -> dict[str, jax.Array]:
    """Train from zeros: returns {"W": (n_y, n_x), "b": (n_y, 1)} in X's dtype."""
    manual.checks.check_X(X)
    manual.checks.check_Y(Y, X, "sigmoid")
    X = jnp.asarray(X)
    Y = jnp.asarray(Y, X.dtype)
    W = jnp.zeros((Y.shape[0], X.shape[0]), X.dtype)
    b = jnp.zeros((Y.shape[0], 1), X.dtype)
    W, b = _fit(W, b, X, Y, jnp.asarray(lr, X.dtype), iterations=iterations)
    return {"W": W, "b": b}


def accuracy(model: dict[str, jax.Array], X: AnyArray, Y: AnyArray) -> float:
    """Percent of examples whose 0/1 prediction (sigma(W X + b) > 0.5, i.e. W X + b > 0) equals Y."""
    Z = manual.linear(model["W"], jnp.asarray(X, model["W"].dtype), model["b"])
    return float(100.0 * jnp.mean((Z > 0) == (jnp.asarray(Y) > 0.5)))
