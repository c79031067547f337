"""The compiled core of training: gradient steps inside one XLA loop.

The loop over iterations runs inside ``lax.while_loop`` (no Python per step);
the number of steps is a *traced* argument, so a short last chunk, a different
learning rate or a second call reuses the same compiled program: one
compilation per (shapes, dtype, activation, output, gradients, capacity).

At the course's size (n_h = 4, m = 400) a step costs the XLA:CPU kernels it
launches, one by one, more than their arithmetic. Of those of a step as the
course writes it, with the finiteness check after it, the cost J takes four
(the loss's exp and log1p, a two-stage sum, the store) and the check six (a
reduction, four selects of the last finite parameters, the step count).
Neither is needed at every step:

- **The cost only where it is kept.** A run keeps J at every
  ``cost_every``-th iteration (``shallownet.history``: the stride) and at the
  last iteration of each call. Other steps call ``grads``: the same formulas
  without the loss. Gradients computed with or without the cost are the same
  bits (tests/test_loop.py), so which steps computed J changes nothing else.
- **The check once per block.** Steps run in unrolled blocks of BLOCK with no
  check inside. A block is kept when its final parameters are all finite and
  no step of it can have met a non-finite cost (``logits_safe``). A
  non-finite parameter stays non-finite under ``p - lr * g`` (inf - x is inf
  or NaN, NaN stays NaN), so finite final parameters mean that every step of
  the block was finite. A block not kept is replayed from its saved start one
  exact step at a time, which stops at the same iteration, with the same last
  finite parameters, as a loop that checks every step: ``Diverged.iteration``
  and ``last_finite.npz`` are those of the per-step loop (tested).
- Unrolling also takes the loop's own work (condition, counter, branch) off
  seven steps of eight.

A block covers run iterations 8k + 1 .. 8k + 8 and computes J at those of its
steps whose iteration is a multiple of the stride (every c-th, c = the stride
up to BLOCK: four variants, c = 1, 2, 4, 8), so its last step always has J:
the step before any step has a known J (a diverged run's history ends with
it). Single exact steps run the rest: up to a call's first block, its last
steps (its last J is reported), replays, strides that are not a power of two,
hidden activations that are not bounded and the identity output
(``blockable``), and callers that give no ``grads`` (the sharded loop).

The price is compile time: the program holds 33 copies of the step instead
of one, so a cold compile takes a few times longer (the persistent compile
cache serves later runs). Kernel counts and timings: docs/benchmarks.md.
"""

from collections.abc import Callable
from functools import partial

import jax
import jax.numpy as jnp
from jax import lax
from jax.typing import DTypeLike

import manual
import reference
from manual.typing import Grads, Params

GRAD_PATHS = ("manual", "reference")
BLOCK = 8  # steps per unrolled block: a block per kept cost at the stride of a 10,000-iteration run
BOUNDED_ACTIVATIONS = ("tanh", "sigmoid")  # |g(z)| <= 1 for every z

# A gradient path's functions: (params, X, Y, activation, output) -> (J, grads), or grads alone.
PathValueAndGrads = Callable[[Params, jax.Array, jax.Array, str, str], tuple[jax.Array, Grads]]
PathGrads = Callable[[Params, jax.Array, jax.Array, str, str], Grads]


def value_and_grads_fn(gradients: str) -> PathValueAndGrads:
    """The (J, grads) function of one path; both return dW1 db1 dW2 db2."""
    if gradients == "manual":
        return manual.value_and_grads_unchecked
    if gradients == "reference":
        return reference.value_and_grads_unchecked
    raise ValueError(f"unknown gradient path {gradients!r}; choose manual or reference")


def grads_fn(gradients: str) -> PathGrads:
    """The gradients of one path without the cost: value_and_grads_fn's formulas minus the loss."""
    if gradients == "manual":
        return manual.grads_unchecked
    if gradients == "reference":
        return reference.grads_unchecked
    raise ValueError(f"unknown gradient path {gradients!r}; choose manual or reference")


def gd_update(params: Params, grads: Grads, lr: jax.Array) -> Params:
    """theta := theta - lr * dtheta for W1 b1 W2 b2."""
    return {k: params[k] - lr * grads["d" + k] for k in params}


def all_finite(tree: Params) -> jax.Array:
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(v)) for v in jax.tree.leaves(tree)]))


def blockable(activation: str, output: str) -> bool:
    """Whether ``logits_safe`` can vouch for the cost of unchecked steps: a bounded g and the sigmoid output."""
    return output == "sigmoid" and activation.partition(":")[0] in BOUNDED_ACTIVATIONS


def logits_safe(W2: jax.Array, b2: jax.Array, lr: jax.Array, m: int, steps: int) -> jax.Array:
    """True when J is finite at every parameter point of the next ``steps`` steps from (W2, b2).

    With |g| <= 1 and the sigmoid output every gradient entry of W2 and b2 is
    at most 1 in size (|A2 - Y| <= 1, |A1| <= 1), so for ``steps`` steps |Z2|
    stays below B = sum |W2| + |b2| + (n_h + 1) * steps * lr (doubled here for
    round-off). An example's loss is at most 2 |z| + 1 on either gradient
    path, so J is finite while n_y * m * (2 B + 1) is below the largest float.
    W2 (..., n_y, n_h), b2 (..., n_y, 1), lr broadcasting to (...,); the
    result has the leading shape (...,) (one per network).
    """
    n_y, n_h = W2.shape[-2:]
    B = jnp.sum(jnp.abs(W2), axis=-1) + jnp.abs(b2[..., 0]) + (2 * steps * (n_h + 1)) * lr[..., None]
    limit = (jnp.finfo(W2.dtype).max / (4 * n_y * m) - 1) / 2
    return jnp.all(limit > B, axis=-1)


def block_starts(offset: jax.Array | int, i: jax.Array, n_steps: jax.Array, exact_until: jax.Array) -> jax.Array:
    """Whether step i of a call starting at run iteration ``offset`` may begin a block.

    It must be run iteration 1 mod BLOCK, leave the call's last step out
    (its J is reported) and not be inside a block being replayed.
    """
    return ((offset % BLOCK + i % BLOCK) % BLOCK == 1) & (i + BLOCK < n_steps) & (i >= exact_until)


def block_pattern(
    offset: jax.Array | int, i: jax.Array, cost_every: jax.Array | int, n_steps: jax.Array, exact_until: jax.Array
) -> jax.Array:
    """The body's branch for step i: 0 one exact step, 1 + log2(c) a block computing J every c-th step.

    c is cost_every, or BLOCK when cost_every is a multiple of it; a stride
    that is not a power of two dividing BLOCK runs exact steps only.
    """
    spacing = jnp.where(cost_every % BLOCK == 0, BLOCK, cost_every)
    fits = (BLOCK % spacing == 0) & ((spacing & (spacing - 1)) == 0)
    log2 = jnp.sum(jnp.asarray([spacing > 2**k for k in range(BLOCK.bit_length() - 1)], jnp.int32))
    return jnp.where(block_starts(offset, i, n_steps, exact_until) & fits, 1 + log2, 0)


def descend(
    value_and_grads: Callable[[Params], tuple[jax.Array, Grads]],
    params: Params,
    lr: jax.Array,
    n_steps: jax.Array,
    capacity: int,
    dtype: DTypeLike,
    *,
    grads: Callable[[Params], Grads] | None = None,
    safe: Callable[[Params, int], jax.Array] | None = None,
    cost_every: jax.Array | int = 1,
    offset: jax.Array | int = 0,
) -> tuple[Params, jax.Array, jax.Array, jax.Array]:
    """Up to ``n_steps`` (<= capacity) gradient steps in one ``lax.while_loop``.

    ``value_and_grads(params) -> (J, grads)``; traceable, shared by the
    one-device loop below and the sharded one (``shallownet.parallel``).
    Returns (params, costs (capacity,), steps_done, ok). costs[i] is J of the
    parameters *before* step i (the course prints the same quantity) at every
    i with (offset + i) % cost_every == 0, at the last step done and at the
    step before it; other entries may be NaN. ok is False when a step would
    have produced a non-finite cost or parameters: those parameters are then
    the last finite ones.

    ``grads(params)`` (the gradients without the cost) and ``safe(params,
    steps)`` (``logits_safe``) turn on the blocks (module docstring); without
    them every step is checked. ``offset``: the run's iteration count at the
    call's start, modulo ``cost_every``.
    """

    def single(params, i, exact_until):
        J, dtheta = value_and_grads(params)
        new = gd_update(params, dtheta, lr)
        ok = jnp.isfinite(J) & all_finite(new)
        params = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new, params)
        J = jnp.full((BLOCK,), jnp.nan, dtype).at[0].set(J)
        return params, J, i + ok.astype(i.dtype), ok, exact_until

    def block(grads, safe, spacing, start, i, exact_until):
        params, Js = start, []
        for j in range(BLOCK):
            if (j + 1) % spacing == 0:  # run iteration 0 mod spacing: a kept cost
                J, dtheta = value_and_grads(params)
            else:
                J, dtheta = jnp.asarray(jnp.nan, dtype), grads(params)
            Js.append(jnp.asarray(J, dtype))
            params = gd_update(params, dtheta, lr)
        kept = safe(start, BLOCK) & all_finite(params)
        params = jax.tree.map(lambda a, b: jnp.where(kept, a, b), params, start)
        J = jnp.where(kept, jnp.stack(Js), jnp.nan)
        # A block not kept is replayed from its start by exact single steps.
        return (
            params,
            J,
            i + jnp.where(kept, BLOCK, 0).astype(i.dtype),
            jnp.asarray(True),
            jnp.where(kept, exact_until, i + BLOCK),
        )

    blocks = []  # spacing 1, 2, 4, 8, when grads and safe are both given
    if grads is not None and safe is not None:
        blocks = [partial(block, grads, safe, 2**k) for k in range(BLOCK.bit_length())]

    def cond(state):
        _, _, i, ok, _ = state
        return ok & (i < n_steps)

    def body(state):
        params, costs, i, _, exact_until = state
        if not blocks:
            params, J, after, ok, exact_until = single(params, i, exact_until)
        else:
            branch = block_pattern(offset, i, cost_every, n_steps, exact_until)
            params, J, after, ok, exact_until = lax.cond(
                branch > 0, lambda *state: lax.switch(branch - 1, blocks, *state), single, params, i, exact_until
            )
        # costs has BLOCK spare entries at its end, so this write is never moved back.
        return params, lax.dynamic_update_slice(costs, J, (i,)), after, ok, exact_until

    costs0 = jnp.full((capacity + BLOCK,), jnp.nan, dtype)
    zero = jnp.asarray(0, jnp.int32)
    params, costs, i, ok, _ = lax.while_loop(cond, body, (params, costs0, zero, jnp.asarray(True), zero))
    return params, costs[:capacity], i, ok


@partial(jax.jit, static_argnames=("activation", "output", "gradients", "capacity"))
def run_chunk(
    params: Params,
    X: jax.Array,
    Y: jax.Array,
    lr: jax.Array,
    n_steps: jax.Array,
    cost_every: jax.Array | int = 1,
    offset: jax.Array | int = 0,
    *,
    activation: str,
    output: str,
    gradients: str,
    capacity: int,
) -> tuple[Params, jax.Array, jax.Array, jax.Array]:
    """Up to ``n_steps`` (<= capacity) gradient steps on one device; see ``descend``.

    ``cost_every`` (the history's stride) and ``offset`` (the run's iteration
    count at the start, modulo cost_every) say which costs are needed; the
    defaults compute every one. Returns (params, costs (capacity,), steps_done, ok).
    """
    value_and_grads, grads = value_and_grads_fn(gradients), grads_fn(gradients)
    blocks = blockable(activation, output)
    return descend(
        lambda now: value_and_grads(now, X, Y, activation, output),
        params,
        lr,
        n_steps,
        capacity,
        X.dtype,
        grads=(lambda now: grads(now, X, Y, activation, output)) if blocks else None,
        safe=(lambda now, steps: logits_safe(now["W2"], now["b2"], lr, X.shape[1], steps)) if blocks else None,
        cost_every=cost_every,
        offset=offset,
    )
