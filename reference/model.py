"""The same network and cost, written independently from jax / jax.nn primitives.

This module must never import ``manual``: it is the witness that manual's
hand-derived gradients are checked against, and a bug shared by both would
hide. jax.grad of ``cost_unchecked`` is the truth.
"""

import math
import re

import jax
import jax.numpy as jnp

from .typing import Function, Grads, Params

ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
# A slope as a person writes it (float() would take "1_0", "nan", "inf"); its own copy, like all of reference.
SLOPE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)  # ASCII: "١" is a digit to \d


def hidden_activation(name: str) -> Function:
    """g(z) from jax.nn; ReLU/leaky ReLU via ``where(z >= 0, ...)`` on purpose.

    The lecture notes put z = 0 in the z > 0 branch (derivative 1). ``jnp.where``
    differentiates the branch it selects, so ``where(z >= 0, z, 0)`` has
    gradient 1 at z = 0, matching the notes; ``jax.nn.relu`` has gradient 0
    there (tested, documented). Raises ValueError for a name it does not know.
    """
    base, _, param = name.partition(":") if isinstance(name, str) else (name, "", "")
    if param and base != "leaky_relu":
        raise ValueError(f"activation {base!r} takes no parameter (got {name!r})")
    if base == "sigmoid":
        return jax.nn.sigmoid
    if base == "tanh":
        return jnp.tanh
    if base == "relu":
        return lambda z: jnp.where(z >= 0, z, jnp.zeros_like(z))
    if base == "leaky_relu":
        if param and (not SLOPE.fullmatch(param) or not math.isfinite(float(param))):
            raise ValueError(f"leaky_relu slope must be a number, got {param!r}")
        slope = float(param) if param else 0.01
        return lambda z: jnp.where(z >= 0, z, slope * z)
    if base == "identity":
        return lambda z: z
    raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATION_NAMES)}")


def check_activation(name: str) -> None:
    """Raise ValueError unless ``name`` is an activation reference knows (its own check: it never imports manual)."""
    hidden_activation(name)


def predict_logits(params: Params, X: jax.Array, activation: str = "tanh") -> jax.Array:
    """Z2 (n_y, m) for X (n_x, m); unchecked and traceable."""
    g = hidden_activation(activation)
    A1 = g(jnp.dot(params["W1"], X) + params["b1"])
    return jnp.dot(params["W2"], A1) + params["b2"]


def cost_unchecked(
    params: Params, X: jax.Array, Y: jax.Array, activation: str = "tanh", output: str = "sigmoid"
) -> jax.Array:
    """J = mean over the m examples of the summed per-unit loss (unchecked and traceable).

    sigmoid output: binary cross-entropy -y log s(z) - (1 - y) log s(-z).
    Since log s(-z) = log s(z) - z, this is (1 - y) z - log s(z): one
    jax.nn.log_sigmoid instead of two (same value, half the transcendental
    work in the compiled loop), finite even when s(z) rounds to 0 or 1.
    identity output: half the squared error.
    """
    return jnp.mean(jnp.sum(loss_unchecked(predict_logits(params, X, activation), Y, output), axis=0))


def loss_unchecked(Z2: jax.Array, Y: jax.Array, output: str) -> jax.Array:
    """The loss of each output unit and example (n_y, m), from the logits Z2 (n_y, m); unchecked and traceable.

    The sharded training path sums it under its padding mask before the all-reduce.
    """
    if output == "sigmoid":
        return (1 - Y) * Z2 - jax.nn.log_sigmoid(Z2)
    if output == "identity":
        return 0.5 * jnp.square(Z2 - Y)
    raise ValueError(f"unknown output {output!r}; choose sigmoid or identity")


def _gradient_names(grads: Params) -> Grads:
    """jax.grad's keys W1 b1 W2 b2 as the course's dW1 db1 dW2 db2."""
    return {"d" + k: v for k, v in grads.items()}


def value_and_grads_unchecked(
    params: Params, X: jax.Array, Y: jax.Array, activation: str = "tanh", output: str = "sigmoid"
) -> tuple[jax.Array, Grads]:
    """(J, grads) by jax.value_and_grad of the reference cost, keys dW1 db1 dW2 db2 (traceable)."""
    J, grads = jax.value_and_grad(cost_unchecked)(params, X, Y, activation, output)
    return J, _gradient_names(grads)


def grads_unchecked(
    params: Params, X: jax.Array, Y: jax.Array, activation: str = "tanh", output: str = "sigmoid"
) -> Grads:
    """jax.grad of the reference cost, keys renamed dW1 db1 dW2 db2 (traceable)."""
    return _gradient_names(jax.grad(cost_unchecked)(params, X, Y, activation, output))


_grads_jit = jax.jit(grads_unchecked, static_argnames=("activation", "output"))
_value_and_grads_jit = jax.jit(value_and_grads_unchecked, static_argnames=("activation", "output"))
_cost_jit = jax.jit(cost_unchecked, static_argnames=("activation", "output"))
