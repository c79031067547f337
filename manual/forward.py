"""Forward pass and cost, vectorized over the m columns of X:

    Z1 = W1 X + b1        (n_h, m)     b1 (n_h, 1) broadcasts across the m columns
    A1 = g(Z1)            (n_h, m)
    Z2 = W2 A1 + b2       (n_y, m)
    A2 = sigma(Z2)        (n_y, m)     or A2 = Z2 for the identity (regression) output

The cost J is the mean of the per-example loss L over the m columns.
"""

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .activations import check_activation, get_activation, sigmoid
from .checks import check_float_array, check_output, check_problem, check_Y
from .typing import AnyArray, Array, Cache, Params, ParamsLike


def linear(W: Array, A_prev: Array, b: Array) -> Array:
    """Z = W A_prev + b: (n, n_prev) @ (n_prev, m) + (n, 1) -> (n, m)."""
    return W @ A_prev + b


def output_activation(Z2: Array, output: str = "sigmoid") -> Array:
    """A2 from Z2: sigmoid for y in {0, 1}, identity for y in R (regression)."""
    return sigmoid(Z2) if output == "sigmoid" else Z2


def forward_unchecked(
    params: Params, X: Array, activation: str = "tanh", output: str = "sigmoid"
) -> tuple[Array, Cache]:
    """Unchecked forward pass (traceable): returns (A2 (n_y, m), cache {Z1, A1, Z2, A2})."""
    g, _ = get_activation(activation)
    Z1 = linear(params["W1"], X, params["b1"])
    A1 = g(Z1)
    Z2 = linear(params["W2"], A1, params["b2"])
    A2 = output_activation(Z2, output)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def loss(Z2: Array, Y: Array, output: str = "sigmoid") -> Array:
    """Per-example, per-output-unit loss L(a, y), (n_y, m).

    sigmoid: L = -(y log a + (1 - y) log(1 - a)) with a = sigma(z), rewritten in
    z as  max(z, 0) - z y + log(1 + exp(-|z|)).  Same value, but it never takes
    log of a saturated a == 0 or a == 1, so the cost stays finite.
    identity: L = (a - y)**2 / 2; the 1/2 makes dL/dz = a - y, the same dZ2 as
    the sigmoid/cross-entropy pair.
    """
    if output == "sigmoid":
        return jnp.maximum(Z2, 0.0) - Z2 * Y + jnp.log1p(jnp.exp(-jnp.abs(Z2)))
    return 0.5 * (Z2 - Y) ** 2


def cost_unchecked(Z2: Array, Y: Array, output: str = "sigmoid") -> Array:
    """J = (1/m) sum_i L(a(i), y(i)), summed over output units: a scalar."""
    m = Y.shape[1]
    return jnp.sum(loss(Z2, Y, output)) / m


def forward(params: ParamsLike, X: AnyArray, activation: str = "tanh", output: str = "sigmoid") -> tuple[Array, Cache]:
    """Checked, jitted forward pass: X (n_x, m) -> (A2 (n_y, m), cache)."""
    check_output(output)
    check_activation(activation)
    check_problem(params, X)
    return jitted(forward_unchecked, "activation", "output")(params, X, activation=activation, output=output)


def cost(Z2: AnyArray, Y: AnyArray, output: str = "sigmoid") -> Array:
    """Checked, jitted J from the logits Z2 (n_y, m) and labels Y (n_y, m)."""
    check_output(output)
    check_float_array(Z2, "Z2")
    check_Y(Y, Z2, output)
    if Y.shape[0] != Z2.shape[0]:
        raise ValueError(f"Y has {Y.shape[0]} rows but Z2 has {Z2.shape[0]}: both are (n_y, m)")
    return jitted(cost_unchecked, "output")(Z2, Y, output=output)


@functools.cache
def jitted(function: Callable[..., Any], *static: str) -> Callable[..., Any]:
    """``jax.jit(function)`` made once per function, for the checked entry points here and in backward."""
    return jax.jit(function, static_argnames=static)
