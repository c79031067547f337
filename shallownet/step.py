"""The one compiled step of training: every network of a stack, either gradient path, one device or many.

``run_chunk`` runs up to ``n_steps`` full-batch gradient steps of a stack
(``shallownet.stack``) inside one ``lax.while_loop``; the number of steps is a
*traced* argument, so a short last chunk, another learning rate or a second
call reuses the same compiled program: one compilation per (layout, dtype,
gradient path, output, capacity, mesh).

A step computes every network's (J, grads) by vmapping one network's
``value_and_grads`` of the chosen path over each group's rows, with X and Y
shared: ``manual.value_and_grads_unchecked`` (the course's formulas by hand)
or ``reference.value_and_grads_unchecked`` (jax.grad of the witness's cost).
Given a mesh, the same vmapped functions run per shard inside ``jax.shard_map``
(``shallownet.parallel``: sums over each device's columns, one all-reduce, then
the global 1/m).

One rule for divergence: a network whose cost or new parameters are not all
finite is frozen at its last finite parameters and stops counting steps; the
others go on, and the loop ends early once every network has stopped. (A
single run reports that as its error, ``fit.Diverged``.)

One plain step per iteration: the earlier unrolled blocks of eight steps (33
copies of the step in one program) saved about 1 µs per iteration on the
course's run and cost about 1 s of cold compile, most of a short command's
wall time (docs/benchmarks.md).
"""

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

import manual
import reference
from manual.typing import Grads, Params

from . import parallel
from .stack import PARAM_NAMES, Group, Layout, offsets, shape

GRAD_PATHS = ("manual", "reference")
# One network's (J, grads): (params, X, Y, activation=, output=) -> (J, dW1 db1 dW2 db2)
NetworkValueAndGrads = Callable[..., tuple[jax.Array, Grads]]


def check_gradients(gradients: str) -> None:
    """Raise ValueError unless ``gradients`` names a gradient path: "manual" or "reference"."""
    if gradients not in GRAD_PATHS:
        raise ValueError(f"unknown gradient path {gradients!r}; choose {' or '.join(GRAD_PATHS)}")


def network_value_and_grads(gradients: str) -> NetworkValueAndGrads:
    """One network's (J, grads) on one device, by path name."""
    check_gradients(gradients)
    return manual.value_and_grads_unchecked if gradients == "manual" else reference.value_and_grads_unchecked


def group_params(theta: jax.Array, group: Group, layout: Layout) -> Params:
    """A group's rows of theta as batched parameters: W1 (K, n_h, n_x) ... b2 (K, n_y, 1)."""
    block = theta[group.start : group.stop]
    K = group.stop - group.start
    return {
        name: block[:, lo:hi].reshape((K,) + shape(name, group.hidden_units, layout.n_x, layout.n_y))
        for name, (lo, hi) in offsets(group.hidden_units, layout.n_x, layout.n_y).items()
    }


def flat(grads: Grads, K: int, width: int) -> jax.Array:
    """A group's dW1 db1 dW2 db2 -> (K, width), in theta's column order, zero-padded."""
    parts = jnp.concatenate([grads["d" + name].reshape(K, -1) for name in PARAM_NAMES], axis=1)
    return jnp.pad(parts, ((0, 0), (0, width - parts.shape[1])))


def stack_value_and_grads(
    theta: jax.Array, X: jax.Array, Y: jax.Array, *, layout: Layout, output: str, network: NetworkValueAndGrads
) -> tuple[jax.Array, jax.Array]:
    """(J (N,), G (N, P)): ``network`` vmapped over each group's rows, X and Y shared.

    Padding columns of G may hold non-zero values (a padded sigmoid unit has
    A1 = 0.5); the update multiplies G by the stack's mask.
    """
    Js, Gs = [], []
    for group in layout.groups:
        one = partial(network, activation=group.activation, output=output)
        J, grads = jax.vmap(one, in_axes=(0, None, None))(group_params(theta, group, layout), X, Y)
        Js.append(J)
        Gs.append(flat(grads, group.stop - group.start, layout.width))
    return jnp.concatenate(Js), jnp.concatenate(Gs)


def descend(
    value_and_grads: Callable[[jax.Array], tuple[jax.Array, jax.Array]],
    theta: jax.Array,
    alive: jax.Array,
    lr: jax.Array,
    mask: jax.Array,
    n_steps: jax.Array,
    capacity: int,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Up to ``n_steps`` (<= capacity) steps of every live network in one ``lax.while_loop``.

    theta (N, P), alive (N,) bool, lr (N, 1), mask (N, P). Returns (theta,
    costs (capacity, N), steps (N,) taken per network, alive (N,)); costs[i, k]
    is J of network k before step i (the course prints the same), NaN for a
    step not taken. The step's test: J finite and every new parameter finite.
    """
    N = theta.shape[0]

    def body(state):
        theta, costs, i, steps, alive = state
        J, G = value_and_grads(theta)
        new = theta - lr * (G * mask)
        ok = alive & jnp.isfinite(J) & jnp.all(jnp.isfinite(new), axis=1)
        theta = jnp.where(ok[:, None], new, theta)
        costs = costs.at[i].set(jnp.where(ok, J, jnp.nan).astype(costs.dtype))
        return theta, costs, i + 1, steps + ok.astype(steps.dtype), ok

    def cond(state):
        return (state[2] < n_steps) & jnp.any(state[4])

    costs0 = jnp.full((capacity, N), jnp.nan, theta.dtype)
    start = (theta, costs0, jnp.asarray(0, jnp.int32), jnp.zeros((N,), jnp.int32), alive)
    theta, costs, _, steps, alive = lax.while_loop(cond, body, start)
    return theta, costs, steps, alive


def predict_stack(theta: jax.Array, X: jax.Array, *, layout: Layout, output: str) -> jax.Array:
    """A2 (N, n_y, m) of every network on X, in theta's row order (traceable)."""
    outs = []
    for group in layout.groups:
        forward = partial(manual.forward_unchecked, activation=group.activation, output=output)
        A2, _ = jax.vmap(forward, in_axes=(0, None))(group_params(theta, group, layout), X)
        outs.append(A2)
    return jnp.concatenate(outs)


predict_jit = jax.jit(predict_stack, static_argnames=("layout", "output"))


@partial(jax.jit, static_argnames=("layout", "gradients", "output", "capacity", "mesh"))
def run_chunk(
    theta: jax.Array,
    alive: jax.Array,
    X: jax.Array,
    Y: jax.Array,
    lr: jax.Array,
    mask: jax.Array,
    n_steps: jax.Array,
    X_eval: jax.Array,
    evaluate: jax.Array,
    columns: jax.Array,
    m: jax.Array,
    *,
    layout: Layout,
    gradients: Any,
    output: str,
    capacity: int,
    mesh: Any = None,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array, jax.Array]:
    """``descend``, then (``evaluate`` True) every network's A2 (N, n_y, m_eval) on X_eval.

    On one device (mesh None) ``columns`` and ``m`` are unused; with a mesh X,
    Y and ``columns`` (1, m_pad: 1 on real examples, 0 on padding) are sharded
    by columns and ``m`` is the global count of real examples. ``gradients``: a
    path name, or (mesh only) a per-shard function (``parallel.shard_value_and_grads``).
    The evaluation rides in the training's program so that a sweep's scores
    need no compile of their own; it runs only on the call that asks.
    """
    value_and_grads: Callable[[jax.Array], tuple[jax.Array, jax.Array]]
    if mesh is None:
        network = network_value_and_grads(gradients)
        value_and_grads = partial(stack_value_and_grads, X=X, Y=Y, layout=layout, output=output, network=network)
    else:
        value_and_grads = parallel.stack_value_and_grads(
            partial(stack_value_and_grads, layout=layout, output=output), gradients, mesh, X, Y, columns, m
        )
    theta, costs, steps, alive = descend(value_and_grads, theta, alive, lr, mask, n_steps, capacity)
    shape_eval = (theta.shape[0], layout.n_y, X_eval.shape[1])
    A2 = lax.cond(
        evaluate,
        lambda theta: predict_stack(theta, X_eval, layout=layout, output=output).astype(theta.dtype),
        lambda theta: jnp.zeros(shape_eval, theta.dtype),
        theta,
    )
    return theta, costs, steps, alive, A2
