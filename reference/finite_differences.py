"""Central finite differences of the reference cost: a third, derivative-free witness.

dJ/dtheta_k ~ (J(theta + eps e_k) - J(theta - eps e_k)) / (2 eps), for every
parameter entry k. The truncation error is O(eps^2) and the round-off error
O(u / eps) with u the unit round-off, so in float64 (u ~ 1e-16) eps ~ 1e-6
gives ~1e-10 accuracy; in float32 (u ~ 6e-8) the same formula is useless, which
is why everything here is cast to float64.
"""

from functools import partial

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from .model import check_activation, cost_unchecked
from .typing import AnyArray, Grads, Params, ParamsLike
from .validate import validate, validate_step


@partial(jax.jit, static_argnames=("activation", "output", "batch_size"))
def _central_differences(
    params: Params, X: jax.Array, Y: jax.Array, eps: float, activation: str, output: str, batch_size: int = 128
) -> Grads:
    theta, unravel = ravel_pytree(params)

    def central(k: jax.Array) -> jax.Array:
        step = jnp.zeros_like(theta).at[k].set(eps)
        up = cost_unchecked(unravel(theta + step), X, Y, activation, output)
        down = cost_unchecked(unravel(theta - step), X, Y, activation, output)
        return (up - down) / (2 * eps)

    derivatives = jax.lax.map(central, jnp.arange(theta.size), batch_size=batch_size)
    return {"d" + k: v for k, v in unravel(derivatives).items()}


def finite_difference_grads(
    params: ParamsLike, X: AnyArray, Y: AnyArray, activation: str = "tanh", output: str = "sigmoid", eps: float = 1e-6
) -> Grads:
    """Central differences over every entry of W1 b1 W2 b2, computed in float64.

    Checked like reference.grads (shapes, labels, NaN) before casting; traceable,
    so it can also run inside jax.jit (value checks are skipped on tracers).
    """
    validate(params, X, Y, output)
    validate_step(eps)
    check_activation(activation)
    if not jax.config.read("jax_enable_x64"):
        raise ValueError("finite differences need float64: enable jax_enable_x64 first")
    params = {k: jnp.asarray(params[k], jnp.float64) for k in ("W1", "b1", "W2", "b2")}
    X, Y = jnp.asarray(X, jnp.float64), jnp.asarray(Y, jnp.float64)
    return _central_differences(params, X, Y, eps, activation, output)
