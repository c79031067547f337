"""Drop-in replacements for the course notebook's functions (same names, same arguments).

Hidden layer tanh, output sigmoid, as in the course's "Planar data classification
with one hidden layer" assignment. ``initialize_parameters`` reproduces the
course's own init (legacy numpy RNG seeded with 2, W1 drawn before W2, scale
0.01, zero biases), so a course user sees the course's printed numbers again
(cost 0.693048 at iteration 0 on the flower data). The project's own init with
JAX keys is ``manual.init_params``.
"""

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .backward import backward, backward_unchecked
from .checks import (
    check_count,
    check_float_array,
    check_grads,
    check_params,
    check_positive_number,
    check_problem,
    check_Y,
    check_Y_shape,
    is_concrete,
)
from .forward import cost_unchecked, forward, forward_unchecked, output_activation
from .typing import AnyArray, Array, Cache, CacheLike, Grads, Params, ParamsLike

ACTIVATION, OUTPUT = "tanh", "sigmoid"  # the assignment's hidden and output units


def _shape_of(a: Any, name: str) -> tuple[int, ...]:
    shape = getattr(a, "shape", None)
    if shape is None:
        raise ValueError(f"{name} must be a numpy or jax array, got {type(a).__name__}")
    return tuple(shape)


def layer_sizes(X: Any, Y: Any) -> tuple[int, int, int]:
    """(n_x, n_h, n_y) with the course's n_h = 4, from the shapes alone.

    Like the course's own, it reads no values: its test case
    (layer_sizes_test_case) has a random-normal Y. The labels are checked
    where they matter, in compute_cost and nn_model.
    """
    x_shape, y_shape = _shape_of(X, "X"), _shape_of(Y, "Y")
    if len(x_shape) != 2:
        raise ValueError(f"X must be 2-D (rows x examples), got shape {x_shape}")
    check_Y_shape(y_shape, x_shape)
    return x_shape[0], 4, y_shape[0]


def initialize_parameters(n_x: int, n_h: int, n_y: int) -> dict[str, np.ndarray]:
    """The course's init: np.random.seed(2); randn * 0.01 for W1 then W2; zero biases (float64 numpy)."""
    for size, name in ((n_x, "n_x"), (n_h, "n_h"), (n_y, "n_y")):
        check_count(size, name)
    np.random.seed(2)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def forward_propagation(X: AnyArray, parameters: ParamsLike) -> tuple[Array, Cache]:
    """(A2 (n_y, m), cache {Z1, A1, Z2, A2})."""
    return forward(parameters, X, ACTIVATION, OUTPUT)


def compute_cost(A2: AnyArray, Y: AnyArray) -> float:
    """Cross-entropy cost (1/m) sum -(y log a + (1 - y) log(1 - a)) as a Python float.

    Only A2 is given here, so a saturated A2 (exactly 0 or 1) is clipped to
    [eps, 1 - eps] (eps = the dtype's machine epsilon) to keep the cost finite.
    Inside the library the cost is computed from Z2 instead (manual.cost), which
    needs no clipping.
    """
    check_float_array(A2, "A2")
    check_Y(Y, A2, output=OUTPUT)
    if Y.shape[0] != A2.shape[0]:
        raise ValueError(f"Y has {Y.shape[0]} rows but A2 has {A2.shape[0]}: both are (n_y, m)")
    if is_concrete(A2) and not ((np.asarray(A2) >= 0) & (np.asarray(A2) <= 1)).all():
        raise ValueError("A2 must be probabilities in [0, 1] (the sigmoid's output), not logits")
    A2 = jnp.asarray(A2)
    eps = jnp.finfo(A2.dtype).eps
    a = jnp.clip(A2, eps, 1.0 - eps)
    m = Y.shape[1]
    logprobs = Y * jnp.log(a) + (1 - Y) * jnp.log(1 - a)
    return float(-jnp.sum(logprobs) / m)


def backward_propagation(parameters: ParamsLike, cache: CacheLike, X: AnyArray, Y: AnyArray) -> Grads:
    """grads {dW1, db1, dW2, db2} with the parameters' shapes."""
    return backward(parameters, cache, X, Y, ACTIVATION, OUTPUT)


def update_parameters(
    parameters: ParamsLike, grads: Mapping[str, AnyArray], learning_rate: float = 1.2
) -> dict[str, Any]:
    """One gradient-descent step: theta := theta - learning_rate * dtheta (numpy in, numpy out; JAX in, JAX out).

    Checked (shapes always; NaN only outside jit): a 1-D db1 would otherwise broadcast b1 to (n_h, n_h).
    """
    check_params(parameters)
    check_grads(grads, parameters)
    check_positive_number(learning_rate, "learning_rate")
    return {k: parameters[k] - learning_rate * grads["d" + k] for k in ("W1", "b1", "W2", "b2")}


def predict(parameters: ParamsLike, X: AnyArray) -> np.ndarray:
    """0/1 predictions (1, m): 1 where A2 > 0.5, as the course does."""
    A2, _ = forward_propagation(X, parameters)
    return np.asarray(A2 > 0.5).astype(np.int64)


@jax.jit
def _course_step(parameters: Params, X: Array, Y: Array, learning_rate: float) -> tuple[Params, Array]:
    """One iteration on the manual path: cost of the current parameters, then update."""
    _, cache = forward_unchecked(parameters, X, ACTIVATION, OUTPUT)
    J = cost_unchecked(cache["Z2"], Y, OUTPUT)
    grads = backward_unchecked(parameters, cache, X, Y, ACTIVATION)
    return update_parameters(parameters, grads, learning_rate), J


def nn_model(X: AnyArray, Y: AnyArray, n_h: int, num_iterations: int = 10000, print_cost: bool = False) -> Params:
    """Train the course's network; prints "Cost after iteration i: c" every 1000 iterations."""
    check_count(n_h, "n_h")
    check_count(num_iterations, "num_iterations")
    n_x, _, n_y = layer_sizes(X, Y)
    start = initialize_parameters(n_x, n_h, n_y)
    check_problem(start, X, Y, OUTPUT)
    # Jitted step, Python loop: the course's structure (dispatch-bound, no faster than numpy).
    # shallownet.train compiles the whole loop instead (lax.while_loop) for speed.
    X, Y = jnp.asarray(X), jnp.asarray(Y, dtype=jnp.asarray(X).dtype)
    parameters = {k: jnp.asarray(v, X.dtype) for k, v in start.items()}
    for i in range(num_iterations):
        parameters, J = _course_step(parameters, X, Y, 1.2)
        if print_cost and i % 1000 == 0:
            print(f"Cost after iteration {i}: {float(J):f}")
    return parameters


__all__ = [
    "backward_propagation",
    "compute_cost",
    "forward_propagation",
    "initialize_parameters",
    "layer_sizes",
    "nn_model",
    "output_activation",
    "predict",
    "update_parameters",
]
