"""The compiled core of training: gradient steps inside one XLA loop.

The loop over iterations runs inside ``lax.while_loop`` (no Python per step);
the number of steps is a *traced* argument, so a short last chunk, a different
learning rate or a second call reuses the same compiled program: one
compilation per (shapes, dtype, hidden, output, grad, capacity).
"""
from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

import manual
import reference

GRAD_PATHS = ("manual", "autodiff")


def value_and_grads_fn(grad):
    """The (J, grads) function of one path; both return dW1 db1 dW2 db2."""
    if grad == "manual":
        return manual.value_and_grads_raw
    if grad == "autodiff":
        return reference.value_and_grads_raw
    raise ValueError(f"unknown gradient path {grad!r}; choose manual or autodiff")


def gd_update(params, grads, lr):
    """theta := theta - lr * dtheta for W1 b1 W2 b2."""
    return {k: params[k] - lr * grads["d" + k] for k in params}


def all_finite(tree):
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(v)) for v in jax.tree.leaves(tree)]))


@partial(jax.jit, static_argnames=("hidden", "output", "grad", "capacity"))
def run_chunk(params, X, Y, lr, n_steps, *, hidden, output, grad, capacity):
    """Up to ``n_steps`` (<= capacity) gradient steps; stops early on a non-finite step.

    Returns (params, costs (capacity,), steps_done, ok). costs[i] is J of the
    parameters *before* step i (the course prints the same quantity); entries
    past steps_done are NaN. ok is False when a step would have produced a
    non-finite cost or parameters: those parameters are then the last finite ones.
    """
    vg = value_and_grads_fn(grad)
    costs0 = jnp.full((capacity,), jnp.nan, X.dtype)

    def cond(state):
        _, _, i, ok = state
        return ok & (i < n_steps)

    def body(state):
        p, costs, i, _ = state
        J, g = vg(p, X, Y, hidden, output)
        new = gd_update(p, g, lr)
        ok = jnp.isfinite(J) & all_finite(new)
        p = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new, p)
        costs = costs.at[i].set(J)
        return p, costs, i + ok.astype(i.dtype), ok

    state = (params, costs0, jnp.asarray(0, jnp.int32), jnp.asarray(True))
    return lax.while_loop(cond, body, state)


