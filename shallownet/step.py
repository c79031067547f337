"""The one compiled step of training: every network of a stack, either gradient path, one device or many.

``run_chunk`` runs up to ``n`` gradient steps of a stack (``shallownet.stack``) in one ``lax.while_loop``;
counts, learning rates and the cost stride are traced, so one program serves every chunk of a run. A step
vmaps one network's gradients (manual's formulas, or jax.grad of the reference cost) over each group's rows,
X and Y shared; given a mesh, per shard inside ``jax.shard_map`` (``parallel``). One rule for divergence: a
network whose J or new parameters are not all finite is frozen at its last finite parameters. J only where
the history keeps it (the loss is a third of a float64 step at the course's size), behind a ``lax.cond``;
a bound vouches for the steps between (``bounded``), and a step without J gone non-finite asks for the
chunk again with J at every step (``redo``). docs/training.md#the-engine says why.
"""

from collections.abc import Callable
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax

import manual
import reference
from manual.typing import Params

from . import parallel
from .stack import PARAM_NAMES, Group, Layout, offsets, shape

BOUNDED = ("tanh", "sigmoid")  # hidden activations with |g(z)| <= 1


def _manual(params: Params, X: jax.Array, Y: jax.Array, activation: str, output: str) -> tuple:
    _, cache = manual.forward_unchecked(params, X, activation, output)
    return cache["Z2"], manual.backward_unchecked(params, cache, X, Y, activation)


# One network's path (one per ``parallel.GRAD_PATHS``, as the sharded ``parallel.SHARD_PATHS``):
# (params, X, Y, activation, output) -> (first, grads), and J from (first, X, Y, ...): manual's
# formulas give Z2, whose loss is J; jax.grad of the reference cost gives the gradient alone.
PATHS: dict[str, tuple[Callable, Callable]] = {
    "manual": (_manual, lambda Z2, X, Y, activation, output: manual.cost_unchecked(Z2, Y, output)),
    "reference": (
        lambda params, X, Y, activation, output: (params, reference.grads_unchecked(params, X, Y, activation, output)),
        reference.cost_unchecked,
    ),
}


def group_params(theta: jax.Array, group: Group, layout: Layout) -> Params:
    """A group's rows of theta as batched parameters: W1 (K, n_h, n_x) ... b2 (K, n_y, 1)."""
    block, K = theta[group.start : group.stop], group.stop - group.start
    return {
        name: block[:, lo:hi].reshape((K,) + shape(name, group.hidden_units, layout.n_x, layout.n_y))
        for name, (lo, hi) in offsets(group.hidden_units, layout.n_x, layout.n_y).items()
    }


def stack_value_and_grads(
    theta: jax.Array, X: jax.Array, Y: jax.Array, *, layout: Layout, output: str, network: Callable
) -> tuple[list, jax.Array]:
    """(firsts, G (N, P)): ``network(params, X, Y, activation, output) -> (first, grads)`` vmapped over
    each group's rows, X and Y shared; firsts: each group's first results (what its J comes from).

    G's padding columns may hold non-zero values (a padded sigmoid unit has A1 = 0.5): the update
    multiplies G by the stack's mask.
    """
    firsts, Gs = [], []
    for group in layout.groups:
        one = partial(network, activation=group.activation, output=output)
        first, grads = jax.vmap(one, in_axes=(0, None, None))(group_params(theta, group, layout), X, Y)
        K = group.stop - group.start
        parts = jnp.concatenate([grads["d" + name].reshape(K, -1) for name in PARAM_NAMES], axis=1)
        firsts.append(first)
        Gs.append(jnp.pad(parts, ((0, 0), (0, layout.width - parts.shape[1]))))
    return firsts, jnp.concatenate(Gs)


def stack_cost(firsts: list, X: jax.Array, Y: jax.Array, *, layout: Layout, output: str, cost: Callable) -> jax.Array:
    """J (N,): ``cost(first, X, Y, activation, output)`` vmapped over each group's firsts."""
    return jnp.concatenate(
        [
            jax.vmap(partial(cost, activation=group.activation, output=output), in_axes=(0, None, None))(first, X, Y)
            for first, group in zip(firsts, layout.groups)
        ]
    )


def bounded(theta: jax.Array, lr: jax.Array, steps: jax.Array, layout: Layout, m: int) -> jax.Array:
    """(N,) bool: J stays finite over the next ``steps`` steps from theta (tanh or sigmoid hidden
    units, the sigmoid output).

    |A1| <= 1 and |A2 - Y| <= 1, so |Z2| <= B = sum|W2| + |b2| per output unit and a step moves B
    by at most lr (n_h + 1). Each loss is at most 2 |Z2| + 1: J is finite while n_y * m * (2 B + 1)
    is below the largest float (B and the limit both halved for round-off).
    """
    limit = (jnp.finfo(theta.dtype).max / (4 * layout.n_y * m) - 1) / 2
    safe = []
    for group in layout.groups:
        p, rates = group_params(theta, group, layout), lr[group.start : group.stop]
        B = jnp.sum(jnp.abs(p["W2"]), axis=-1) + jnp.abs(p["b2"][..., 0]) + 2 * steps * (group.hidden_units + 1) * rates
        safe.append(jnp.all(limit > B, axis=-1))
    return jnp.concatenate(safe)


def descend(
    grads: Callable,
    cost: Callable,
    safe: Callable | None,
    theta: jax.Array,
    alive: jax.Array,
    data: dict,
    call: dict,
) -> tuple[jax.Array, ...]:
    """Up to ``call["n"]`` steps of every live network in one ``lax.while_loop``; ``run_chunk`` says the rest.

    ``grads(theta) -> (firsts, G)``, ``cost(firsts) -> J (N,)``; ``safe(theta, steps)``: J stays
    finite for ``steps`` steps (None: compute J at every step). A step computes J where kept, at
    the last step, and where the bound computed with the last J does not vouch for it. Returns
    (theta, costs (capacity, N), steps (N,), alive (N,), redo); costs[i, k]: J of network k before
    step i (the course prints the same) where computed, NaN elsewhere and for a step not taken.
    """
    nan = jnp.full(theta.shape[:1], jnp.nan, theta.dtype)

    def body(state: tuple) -> tuple:
        theta, costs, i, steps, alive, vouched, _ = state
        firsts, G = grads(theta)
        if safe is None:
            J, keep = cost(firsts), jnp.asarray(True)
        else:

            def kept(firsts: list) -> tuple:
                window = jnp.all(safe(theta, steps=call["stride"]) | ~alive)
                return cost(firsts), jnp.where(window, i + call["stride"], i + 1)

            keep = ((call["offset"] + i) % call["stride"] == 0) | (i == call["n"] - 1) | (i >= vouched)
            J, vouched = lax.cond(keep, kept, lambda _: (nan, vouched), firsts)
        new = theta - data["lr"] * (G * data["mask"])
        finite = jnp.all(jnp.isfinite(new), axis=1)
        ok = alive & (jnp.isfinite(J) | ~keep) & finite
        theta = jnp.where(ok[:, None], new, theta)
        costs = costs.at[i].set(jnp.where(ok, J, jnp.nan).astype(costs.dtype))
        redo = jnp.any(alive & ~finite & ~keep)
        return theta, costs, i + 1, steps + ok.astype(steps.dtype), ok, vouched, redo

    def cond(state: tuple) -> jax.Array:
        return (state[2] < call["n"]) & jnp.any(state[4]) & ~state[6]

    N, i = theta.shape[0], jnp.asarray(0, jnp.int32)
    costs = jnp.full((call["capacity"], N), jnp.nan, theta.dtype)
    start = (theta, costs, i, jnp.zeros((N,), jnp.int32), alive, i, jnp.asarray(False))
    theta, costs, _, steps, alive, _, redo = lax.while_loop(cond, body, start)
    return theta, costs, steps, alive, redo


def predict_stack(theta: jax.Array, X: jax.Array, *, layout: Layout, output: str) -> jax.Array:
    """A2 (N, n_y, m) of every network on X, in theta's row order (traceable)."""
    outs = []
    for group in layout.groups:
        forward = partial(manual.forward_unchecked, activation=group.activation, output=output)
        outs.append(jax.vmap(forward, in_axes=(0, None))(group_params(theta, group, layout), X)[0])
    return jnp.concatenate(outs)


predict_jit = jax.jit(predict_stack, static_argnames=("layout", "output"))


@partial(jax.jit, static_argnames=("layout", "gradients", "output", "capacity", "mesh", "skip_costs"))
def run_chunk(
    theta: jax.Array,
    alive: jax.Array,
    data: dict,
    call: dict,
    *,
    layout: Layout,
    gradients: Any,
    output: str,
    capacity: int,
    mesh: Any = None,
    skip_costs: bool = True,
) -> tuple[jax.Array, ...]:
    """``descend``, then (``call["evaluate"]``) every network's A2 (N, n_y, m_eval) on data["X_eval"].

    data: X, Y, lr (N, 1), mask (N, P), X_eval, columns, m. call: n (steps), stride, offset (J is
    kept at steps i with (offset + i) % stride == 0), evaluate. With a mesh X, Y and columns (1,
    m_pad: 1 on real examples, 0 on padding) are sharded by columns, m is the global count of real
    examples, J is computed at every step, and ``gradients`` may be a per-shard function.
    ``skip_costs`` False: J at every step, no cond to compile (a history that keeps every cost).
    The evaluation rides in the training's program: a sweep's scores need no compile of their own.
    Returns (theta, costs, steps, alive, A2, redo).
    """
    X, Y, safe = data["X"], data["Y"], None
    grads: Callable
    cost_of: Callable
    if mesh is None:
        parallel.check_gradients(gradients)
        network, cost = PATHS[gradients]
        grads = partial(stack_value_and_grads, X=X, Y=Y, layout=layout, output=output, network=network)
        cost_of = partial(stack_cost, X=X, Y=Y, layout=layout, output=output, cost=cost)
        if skip_costs and output == "sigmoid" and all(group.activation in BOUNDED for group in layout.groups):
            safe = partial(bounded, lr=data["lr"], layout=layout, m=X.shape[1])
    else:
        per_stack = partial(stack_value_and_grads, layout=layout, output=output)
        grads = parallel.stack_value_and_grads(per_stack, gradients, mesh, X, Y, data["columns"], data["m"])
        cost_of = jnp.concatenate  # the per-shard path's firsts are J itself, every step
    theta, costs, steps, alive, redo = descend(grads, cost_of, safe, theta, alive, data, {**call, "capacity": capacity})
    X_eval, shape_eval = data["X_eval"], (theta.shape[0], layout.n_y, data["X_eval"].shape[1])
    A2 = lax.cond(
        call["evaluate"],
        lambda theta: predict_stack(theta, X_eval, layout=layout, output=output).astype(theta.dtype),
        lambda theta: jnp.zeros(shape_eval, theta.dtype),
        theta,
    )
    return theta, costs, steps, alive, A2, redo
