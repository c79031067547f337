"""Activation functions g and their hand-written derivatives g'.

Each derivative takes ``(z, a)`` where ``a = g(z)`` was already computed in the
forward pass; the course writes sigmoid' and tanh' in terms of ``a`` (the cache
holds ``A1``), so we do too:

    sigmoid'(z) = a (1 - a)        tanh'(z) = 1 - a**2
    relu'(z)    = 1 if z >= 0 else 0
    leaky'(z)   = 1 if z >= 0 else slope
    identity'   = 1

At z = 0 ReLU is not differentiable. The lecture notes put z = 0 in the z > 0
branch ("直接归入 z>0 部分"), so relu'(0) = 1 here. Note that
``jax.grad(jax.nn.relu)(0.) == 0`` and the course's assignment code
(``dZ[Z <= 0] = 0``) also uses 0. This matters when the hidden layer starts at
zero (W1 = 0, b1 = 0) and W2 does not: Z1 == 0 exactly, and the convention
decides whether W1 and b1 ever move (with 0 they never do). With *all*
parameters zero neither convention helps: A1 = 0 and W2 = 0 block the gradient.

Activations are named by strings ("tanh", "leaky_relu", "leaky_relu:0.2") so
they can be static arguments to ``jax.jit``.
"""

import math
import re

import jax.numpy as jnp

from .typing import Activation, Array, Derivative

ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "identity")
DEFAULT_LEAKY_SLOPE = 0.01
# A slope as a person writes it: float() would also take "1_0" (10), "nan" and "inf".
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)  # ASCII: "١" is a digit to \d


def sigmoid(z: Array) -> Array:
    """sigma(z) = 1 / (1 + exp(-z)), any shape."""
    # For z < -709 (float64) exp overflows to inf and the quotient is exactly 0:
    # no NaN. The cost never takes log of this value (see forward.cost).
    return 1.0 / (1.0 + jnp.exp(-z))


def sigmoid_prime(z: Array, a: Array) -> Array:
    """sigma'(z) = a (1 - a), the course's form."""
    return a * (1.0 - a)


def tanh(z: Array) -> Array:
    return jnp.tanh(z)


def tanh_prime(z: Array, a: Array) -> Array:
    """tanh'(z) = 1 - a**2 (not 1 - z**2: that is the classic slip)."""
    return 1.0 - a * a


def relu(z: Array) -> Array:
    return jnp.maximum(z, 0.0)


def relu_prime(z: Array, a: Array) -> Array:
    """1 for z >= 0 (the notes' convention at the kink), else 0."""
    return jnp.where(z >= 0, 1.0, 0.0).astype(z.dtype)


def leaky_relu(z: Array, slope: float = DEFAULT_LEAKY_SLOPE) -> Array:
    return jnp.where(z >= 0, z, slope * z)


def leaky_relu_prime(z: Array, a: Array, slope: float = DEFAULT_LEAKY_SLOPE) -> Array:
    """1 for z >= 0, else the slope."""
    return jnp.where(z >= 0, 1.0, slope).astype(z.dtype)


def identity(z: Array) -> Array:
    return z


def identity_prime(z: Array, a: Array) -> Array:
    return jnp.ones_like(z)


def parse_activation(name: str) -> tuple[str, float | None]:
    """'leaky_relu:0.2' -> ('leaky_relu', 0.2), 'leaky_relu' -> ('leaky_relu', 0.01); other names -> (name, None).

    Raises ValueError naming the known activations when the name is unknown.
    """
    if not isinstance(name, str):
        raise ValueError(f"activation must be a string, got {type(name).__name__}")
    base, _, param = name.partition(":")
    if base not in ACTIVATION_NAMES:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATION_NAMES)}")
    if base != "leaky_relu":
        if param:
            raise ValueError(f"activation {base!r} takes no parameter (got {name!r})")
        return base, None
    if not param:
        return base, DEFAULT_LEAKY_SLOPE
    if not PLAIN_NUMBER.fullmatch(param) or not math.isfinite(float(param)):
        raise ValueError(f"leaky_relu slope must be a number, got {param!r}")
    return base, float(param)


def check_activation(name: str) -> None:
    """Raise ValueError naming the known activations unless ``name`` is one ("tanh", "leaky_relu:0.2" ...)."""
    parse_activation(name)


def get_activation(name: str) -> tuple[Activation, Derivative]:
    """Return ``(g, g_prime)`` for an activation name; g_prime takes (z, a)."""
    base, slope = parse_activation(name)
    if base == "leaky_relu" and slope is not None:  # parse_activation always gives leaky_relu its slope
        return (lambda z: leaky_relu(z, slope)), (lambda z, a: leaky_relu_prime(z, a, slope))
    table = {
        "sigmoid": (sigmoid, sigmoid_prime),
        "tanh": (tanh, tanh_prime),
        "relu": (relu, relu_prime),
        "identity": (identity, identity_prime),
    }
    return table[base]
