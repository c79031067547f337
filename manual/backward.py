"""Backward pass by hand: the course's six formulas, vectorized and per example.

Why some formulas carry 1/m and others don't: the cost is the *average*
J = (1/m) sum_i L(i). Each column of dZ2 = A2 - Y is dL(i)/dz2(i), the gradient
of one example's own loss; it belongs to that example alone, so no 1/m. W and b
are shared by all m examples, so their gradient sums the m per-example
contributions (the matrix product / the sum over axis 1 does that) and the 1/m
of the average applies exactly once, there. (jax.grad of J with respect to Z2
itself is (A2 - Y)/m: the 1/m is carried by dW and db instead, which is the
same thing.)
"""

import jax.numpy as jnp
from jax import lax

from .activations import check_activation, get_activation
from .checks import check_output, check_problem
from .forward import cost_unchecked, forward_unchecked, jitted
from .typing import AnyArray, Array, Cache, CacheLike, Grads, Params, ParamsLike


def backward_sums_unchecked(params: Params, cache: Cache, X: Array, Y: Array, activation: str = "tanh") -> Grads:
    """The six formulas summed over the examples, before any 1/m (traceable); dW1 db1 dW2 db2.

    Both training paths divide these sums by m: ``backward_unchecked`` on one
    device, and the sharded path after adding the devices' sums (the global m).
    """
    _, g_prime = get_activation(activation)
    # The six formulas keep their column of shapes.
    # fmt: off
    dZ2 = cache["A2"] - Y                                   # (n_y, m)  dL/dZ2 per example: no 1/m
    dW2 = matmul_nt(dZ2, cache["A1"])                       # (n_y, n_h) = sum_i dz2(i) a1(i)^T
    db2 = jnp.sum(dZ2, axis=1, keepdims=True)               # (n_y, 1): keepdims, never (n_y,)
    dZ1 = (params["W2"].T @ dZ2) * g_prime(cache["Z1"], cache["A1"])   # (n_h, m): element-wise *
    dW1 = matmul_nt(dZ1, X)                                 # (n_h, n_x) = sum_i dz1(i) x(i)^T
    db1 = jnp.sum(dZ1, axis=1, keepdims=True)               # (n_h, 1)
    # fmt: on
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def backward_unchecked(params: Params, cache: Cache, X: Array, Y: Array, activation: str = "tanh") -> Grads:
    """Unchecked vectorized backprop (traceable); returns dW1 db1 dW2 db2."""
    m = X.shape[1]
    sums = backward_sums_unchecked(params, cache, X, Y, activation)
    # J is the average over the m examples, W and b are shared by all of them:
    # their gradients are the sums above times the 1/m of that average.
    return _like_params({k: v / m for k, v in sums.items()}, params)


def matmul_nt(A: Array, B: Array) -> Array:
    """A @ B.T, (n, m) x (k, m) -> (n, k), contracting the m axis directly.

    Same value as the slide's ``dZ @ A.T``; written with dot_general so XLA
    does not copy out an (m, k) transpose every iteration when m is large.
    """
    return lax.dot_general(A, B, (((1,), (1,)), ((), ())))


def _like_params(grads: Grads, params: Params) -> Grads:
    """Each gradient in its parameter's dtype, as jax.grad gives it.

    Only changes anything for mixed input (float32 params, float64 X): the
    arithmetic promotes to float64, the update must not silently promote the
    float32 parameters.
    """
    return {k: v.astype(params[k[1:]].dtype) for k, v in grads.items()}


def grads_unchecked(params: Params, X: Array, Y: Array, activation: str = "tanh", output: str = "sigmoid") -> Grads:
    """Forward then backward, unchecked and traceable: the manual gradient path."""
    _, cache = forward_unchecked(params, X, activation, output)
    return backward_unchecked(params, cache, X, Y, activation)


def value_and_grads_unchecked(
    params: Params, X: Array, Y: Array, activation: str = "tanh", output: str = "sigmoid"
) -> tuple[Array, Grads]:
    """(J, grads) from one forward pass, unchecked and traceable."""
    _, cache = forward_unchecked(params, X, activation, output)
    return cost_unchecked(cache["Z2"], Y, output), backward_unchecked(params, cache, X, Y, activation)


def grads_one_example(params: Params, x: Array, y: Array, activation: str = "tanh", output: str = "sigmoid") -> Grads:
    """The slide's left column for one example x (n_x, 1), y (n_y, 1): no 1/m.

    dz2 = a2 - y;  dW2 = dz2 a1^T;  db2 = dz2;
    dz1 = W2^T dz2 * g'(z1);  dW1 = dz1 x^T;  db1 = dz1.
    """
    _, g_prime = get_activation(activation)
    _, cache = forward_unchecked(params, x, activation, output)
    dz2 = cache["A2"] - y
    dz1 = (params["W2"].T @ dz2) * g_prime(cache["Z1"], cache["A1"])
    return {"dW1": dz1 @ x.T, "db1": dz1, "dW2": dz2 @ cache["A1"].T, "db2": dz2}


def backward_per_example_unchecked(
    params: Params, X: Array, Y: Array, activation: str = "tanh", output: str = "sigmoid"
) -> Grads:
    """Loop over the m examples, sum each one's gradient, divide by m once at the end."""
    m = X.shape[1]

    def add_example(i: Array, total: Grads) -> Grads:
        x = lax.dynamic_slice_in_dim(X, i, 1, axis=1)
        y = lax.dynamic_slice_in_dim(Y, i, 1, axis=1).astype(X.dtype)
        example = grads_one_example(params, x, y, activation, output)
        return {k: total[k] + example[k] for k in total}

    zeros = {"d" + k: jnp.zeros_like(v, dtype=jnp.result_type(v, X)) for k, v in params.items()}
    total = lax.fori_loop(0, m, add_example, zeros)
    return _like_params({k: v / m for k, v in total.items()}, params)


def _check(params: ParamsLike, X: AnyArray, Y: AnyArray, activation: str, output: str) -> None:
    check_output(output)
    check_activation(activation)
    check_problem(params, X, Y, output)


def _check_cache(params: ParamsLike, cache: CacheLike, X: AnyArray) -> None:
    n_h, m, n_y = params["W1"].shape[0], X.shape[1], params["W2"].shape[0]
    for name, shape in (("Z1", (n_h, m)), ("A1", (n_h, m)), ("A2", (n_y, m))):
        if name not in cache:
            raise ValueError(f"cache is missing {name} (expected keys Z1 A1 Z2 A2)")
        if tuple(cache[name].shape) != shape:
            raise ValueError(
                f"cache {name} has shape {tuple(cache[name].shape)}, expected {shape}: "
                "was it computed from these parameters and this X?"
            )


def backward(
    params: ParamsLike, cache: CacheLike, X: AnyArray, Y: AnyArray, activation: str = "tanh", output: str = "sigmoid"
) -> Grads:
    """Checked, jitted backprop from a forward cache; grads have the params' shapes."""
    _check(params, X, Y, activation, output)
    _check_cache(params, cache, X)
    return jitted(backward_unchecked, "activation")(params, cache, X, Y, activation=activation)


def backward_sums(
    params: ParamsLike, cache: CacheLike, X: AnyArray, Y: AnyArray, activation: str = "tanh", output: str = "sigmoid"
) -> Grads:
    """Checked, jitted gradient *sums* over the m examples (no 1/m): m times ``backward``'s result."""
    _check(params, X, Y, activation, output)
    _check_cache(params, cache, X)
    return jitted(backward_sums_unchecked, "activation")(params, cache, X, Y, activation=activation)


def grads(params: ParamsLike, X: AnyArray, Y: AnyArray, activation: str = "tanh", output: str = "sigmoid") -> Grads:
    """Checked, jitted manual gradients of J: dict dW1 (n_h, n_x), db1 (n_h, 1), dW2 (n_y, n_h), db2 (n_y, 1)."""
    _check(params, X, Y, activation, output)
    return jitted(grads_unchecked, "activation", "output")(params, X, Y, activation=activation, output=output)


def value_and_grads(
    params: ParamsLike, X: AnyArray, Y: AnyArray, activation: str = "tanh", output: str = "sigmoid"
) -> tuple[Array, Grads]:
    """Checked, jitted (J, grads) on the manual path."""
    _check(params, X, Y, activation, output)
    return jitted(value_and_grads_unchecked, "activation", "output")(params, X, Y, activation=activation, output=output)


def backward_per_example(
    params: ParamsLike, X: AnyArray, Y: AnyArray, activation: str = "tanh", output: str = "sigmoid"
) -> Grads:
    """Checked, jitted per-example backprop (the slide's for-loop), averaged at the end."""
    _check(params, X, Y, activation, output)
    return jitted(backward_per_example_unchecked, "activation", "output")(
        params, X, Y, activation=activation, output=output
    )
