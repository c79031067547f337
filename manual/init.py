"""Parameter initialization: small random weights, zero biases (or all zeros).

Random W breaks the symmetry between hidden units; b can start at zero because
once W1's rows differ, the units already compute different things. The 0.01
scale keeps tanh/sigmoid in their steep middle region at the start (large
weights saturate them, where g' ~ 0 and learning crawls).
"""

import jax
import jax.numpy as jnp
from jax.typing import DTypeLike

from .checks import check_count, check_dtype, check_positive_number
from .typing import Array, Params


def init_params(
    key: Array, n_x: int, n_h: int, n_y: int, scale: float = 0.01, dtype: DTypeLike = jnp.float32
) -> Params:
    """W1 (n_h, n_x), W2 (n_y, n_h) ~ scale * N(0, 1); b1 (n_h, 1), b2 (n_y, 1) zeros."""
    _check_layout(n_x, n_h, n_y, dtype)
    check_positive_number(scale, "scale")
    k1, k2 = jax.random.split(key)
    return {
        "W1": scale * jax.random.normal(k1, (n_h, n_x), dtype),
        "b1": jnp.zeros((n_h, 1), dtype),
        "W2": scale * jax.random.normal(k2, (n_y, n_h), dtype),
        "b2": jnp.zeros((n_y, 1), dtype),
    }


def init_zeros(n_x: int, n_h: int, n_y: int, dtype: DTypeLike = jnp.float32) -> Params:
    """All-zero parameters: every hidden unit computes the same thing forever (symmetry)."""
    _check_layout(n_x, n_h, n_y, dtype)
    return {
        "W1": jnp.zeros((n_h, n_x), dtype),
        "b1": jnp.zeros((n_h, 1), dtype),
        "W2": jnp.zeros((n_y, n_h), dtype),
        "b2": jnp.zeros((n_y, 1), dtype),
    }


def _check_layout(n_x: int, n_h: int, n_y: int, dtype: DTypeLike) -> None:
    for size, name in ((n_x, "n_x"), (n_h, "n_h"), (n_y, "n_y")):
        check_count(size, name)
    check_dtype(dtype)
