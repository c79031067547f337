"""Type aliases for the course's objects, used in annotations (mypy checks them in CI).

Arrays given to the checked functions may be numpy or JAX arrays (``AnyArray``);
what the functions return are JAX arrays. Inside ``jax.jit`` the same names
stand for tracers, which JAX types as ``jax.Array`` too.
"""

from collections.abc import Callable, Mapping

import jax
import numpy as np

Array = jax.Array
AnyArray = jax.Array | np.ndarray  # what a caller may give a checked function: a numpy or a JAX array
Params = dict[str, jax.Array]  # W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1)
ParamsLike = Mapping[str, AnyArray]  # the same, as a caller gives them
Grads = dict[str, jax.Array]  # dW1 db1 dW2 db2, each with its parameter's shape
Cache = dict[str, jax.Array]  # Z1 A1 Z2 A2 of a forward pass
CacheLike = Mapping[str, AnyArray]
Activation = Callable[[jax.Array], jax.Array]  # g(z)
Derivative = Callable[[jax.Array, jax.Array], jax.Array]  # g'(z) from (z, a = g(z))

__all__ = ["Activation", "AnyArray", "Array", "Cache", "CacheLike", "Derivative", "Grads", "Params", "ParamsLike"]
