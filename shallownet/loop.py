"""The compiled core of training: gradient steps inside one XLA loop.

The loop over iterations runs inside ``lax.while_loop`` (no Python per step);
the number of steps is a *traced* argument, so a short last chunk, a different
learning rate or a second call reuses the same compiled program: one
compilation per (shapes, dtype, hidden, output, grad, capacity).

Why a plain while_loop checked every step (measured on a 2-core CPU, jax
0.10.2, float32, flower data; README "Benchmark"): the loop body compiles to
26 XLA:CPU kernels at n_h = 4 (32 at n_h = 50), launched one by one, and the
launches set the cost of a step at this size (7-10 µs). About 11 of those
kernels are the finiteness check and the keep-the-last-finite select, yet
taking them out did not make a step faster: at n_h = 4, 7.1 µs with the check
as written, 7.9 with one check on the sum of all parameters, 7.7 carrying the
previous parameters instead of selecting, 8.0 for an unchecked fori_loop (same
run, medians of 7; differences within this machine's noise). A lax.scan with
stacked costs is no faster either, the in-place write of one cost costs the
same at any capacity, and the XLA:CPU flags tried (fast math, single-threaded
Eigen, no XNNPACK, one codegen split, library dot fusions off, lower LLVM
optimization) changed a step by less than the noise or made it slower.
"""
from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

import manual
import reference

GRAD_PATHS = ("manual", "reference")


def value_and_grads_fn(gradients):
    """The (J, grads) function of one path; both return dW1 db1 dW2 db2."""
    if gradients == "manual":
        return manual.value_and_grads_unchecked
    if gradients == "reference":
        return reference.value_and_grads_unchecked
    raise ValueError(f"unknown gradient path {gradients!r}; choose manual or reference")


def gd_update(params, grads, lr):
    """theta := theta - lr * dtheta for W1 b1 W2 b2."""
    return {k: params[k] - lr * grads["d" + k] for k in params}


def all_finite(tree):
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(v)) for v in jax.tree.leaves(tree)]))


def descend(value_and_grads, params, lr, n_steps, capacity, dtype):
    """Up to ``n_steps`` (<= capacity) gradient steps in one ``lax.while_loop``.

    ``value_and_grads(params) -> (J, grads)``; traceable, shared by the
    one-device loop below and the sharded one (``shallownet.parallel``).
    Returns (params, costs (capacity,), steps_done, ok). costs[i] is J of the
    parameters *before* step i (the course prints the same quantity); entries
    past steps_done are NaN. ok is False when a step would have produced a
    non-finite cost or parameters: those parameters are then the last finite ones.
    """
    def cond(state):
        _, _, i, ok = state
        return ok & (i < n_steps)

    def body(state):
        p, costs, i, _ = state
        J, g = value_and_grads(p)
        new = gd_update(p, g, lr)
        ok = jnp.isfinite(J) & all_finite(new)
        p = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new, p)
        return p, costs.at[i].set(J), i + ok.astype(i.dtype), ok

    costs0 = jnp.full((capacity,), jnp.nan, dtype)
    return lax.while_loop(cond, body, (params, costs0, jnp.asarray(0, jnp.int32), jnp.asarray(True)))


@partial(jax.jit, static_argnames=("activation", "output", "gradients", "capacity"))
def run_chunk(params, X, Y, lr, n_steps, *, activation, output, gradients, capacity):
    """Up to ``n_steps`` (<= capacity) gradient steps on one device; see ``descend``.

    Returns (params, costs (capacity,), steps_done, ok).
    """
    vg = value_and_grads_fn(gradients)
    return descend(lambda p: vg(p, X, Y, activation, output), params, lr, n_steps, capacity, X.dtype)
