"""Type aliases for reference's annotations: its own, like everything in it (it never imports manual)."""

from collections.abc import Callable, Mapping

import jax
import numpy as np

AnyArray = jax.Array | np.ndarray  # a numpy or a JAX array, as a caller gives it
Params = dict[str, jax.Array]  # W1 b1 W2 b2 as JAX arrays (tracers inside jax.jit)
ParamsLike = Mapping[str, AnyArray]  # W1 b1 W2 b2 as a caller gives them
Grads = dict[str, jax.Array]  # dW1 db1 dW2 db2, the shapes of W1 b1 W2 b2
Function = Callable[[jax.Array], jax.Array]  # an activation g(z)

__all__ = ["AnyArray", "Function", "Grads", "Params", "ParamsLike"]
