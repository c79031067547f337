"""The compiled core of training: gradient steps inside one XLA loop.

The loop over iterations runs inside ``lax.while_loop`` (no Python per step);
the number of steps is a *traced* argument, so a short last chunk, a different
learning rate or a second call reuses the same compiled program: one
compilation per (shapes, dtype, activation, output, gradients, capacity).

At the course's size (n_h = 4, m = 400) a step costs the XLA:CPU kernels it
launches, one by one, more than their arithmetic. A step written as the
course writes it, with the finiteness check after it, is 25 kernels: the
cost J alone is four of them (the loss's exp and log1p, a two-stage sum, the
store) and the check six (a reduction, four selects of the last finite
parameters, the step count). Neither is needed at every step:

- **The cost only where it is kept.** A run keeps J at every
  ``cost_every``-th iteration (``shallownet.history``: the stride) and at the
  last iteration of each call. Other steps call ``grads``: the same formulas
  without the loss. Gradients computed with or without the cost are the same
  bits (tests/test_train.py), so which steps computed J changes nothing else.
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

A block covers run iterations 8k + 1 .. 8k + 8 and computes J only at its
last step, 8k + 8: with a stride that is a multiple of BLOCK every kept
iteration is a block's last step (or a single step), and the step before any
step is one whose J is known (a diverged run's history ends with it). Single
exact steps run the rest: up to the first block of a call, the last steps of
a call (its last J is reported), replays, strides below BLOCK (the first
8,192 iterations of a run keep more than every 8th cost, see history.py),
hidden activations that are not bounded or an identity output
(``blockable``), and callers that give no ``grads`` (the sharded loop).
Measured at the course's size, float32 (alternating, same run): blocks take
18 kernels per step instead of 27 and run 1.4x faster; see docs/benchmarks.md.
"""
from functools import partial

import jax
import jax.numpy as jnp
from jax import lax

import manual
import reference

GRAD_PATHS = ("manual", "reference")
BLOCK = 8  # steps per unrolled block: a block per kept cost at the stride of a 10,000-iteration run
BOUNDED_ACTIVATIONS = ("tanh", "sigmoid")  # |g(z)| <= 1 for every z


def value_and_grads_fn(gradients):
    """The (J, grads) function of one path; both return dW1 db1 dW2 db2."""
    if gradients == "manual":
        return manual.value_and_grads_unchecked
    if gradients == "reference":
        return reference.value_and_grads_unchecked
    raise ValueError(f"unknown gradient path {gradients!r}; choose manual or reference")


def grads_fn(gradients):
    """The gradients of one path without the cost: value_and_grads_fn's formulas minus the loss."""
    if gradients == "manual":
        return manual.grads_unchecked
    if gradients == "reference":
        return reference.grads_unchecked
    raise ValueError(f"unknown gradient path {gradients!r}; choose manual or reference")


def gd_update(params, grads, lr):
    """theta := theta - lr * dtheta for W1 b1 W2 b2."""
    return {k: params[k] - lr * grads["d" + k] for k in params}


def all_finite(tree):
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(v)) for v in jax.tree.leaves(tree)]))


def blockable(activation, output):
    """Whether ``logits_safe`` can vouch for the cost of unchecked steps: a bounded g and the sigmoid output."""
    return output == "sigmoid" and activation.partition(":")[0] in BOUNDED_ACTIVATIONS


def logits_safe(W2, b2, lr, m, steps):
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
    return jnp.all(B < limit, axis=-1)


def starts_block(offset, i, cost_every, n_steps, exact_until):
    """Whether step i of a call starting at run iteration ``offset`` (mod cost_every) begins a block."""
    return (((offset % BLOCK + i % BLOCK) % BLOCK == 1) & (cost_every % BLOCK == 0) & (i + BLOCK < n_steps)
            & (i >= exact_until))


def descend(value_and_grads, params, lr, n_steps, capacity, dtype, *, grads=None, safe=None, cost_every=1,
            offset=0):
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
    def single(p, i, exact_until):
        J, g = value_and_grads(p)
        new = gd_update(p, g, lr)
        ok = jnp.isfinite(J) & all_finite(new)
        p = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new, p)
        J = jnp.full((BLOCK,), jnp.nan, dtype).at[0].set(J)
        return p, J, i + ok.astype(i.dtype), ok, exact_until

    def block(p, i, exact_until):
        q = p
        for _ in range(BLOCK - 1):
            q = gd_update(q, grads(q), lr)
        J, g = value_and_grads(q)
        q = gd_update(q, g, lr)
        kept = safe(p, BLOCK) & all_finite(q)
        p = jax.tree.map(lambda a, b: jnp.where(kept, a, b), q, p)
        J = jnp.full((BLOCK,), jnp.nan, dtype).at[BLOCK - 1].set(jnp.where(kept, J, jnp.nan))
        # A block not kept is replayed from p by exact single steps.
        return (p, J, i + jnp.where(kept, BLOCK, 0).astype(i.dtype), jnp.asarray(True),
                jnp.where(kept, exact_until, i + BLOCK))

    def cond(state):
        _, _, i, ok, _ = state
        return ok & (i < n_steps)

    def body(state):
        p, costs, i, _, exact_until = state
        if grads is None:
            p, J, after, ok, exact_until = single(p, i, exact_until)
        else:
            p, J, after, ok, exact_until = lax.cond(starts_block(offset, i, cost_every, n_steps, exact_until),
                                                    block, single, p, i, exact_until)
        # costs has BLOCK spare entries at its end, so this write is never moved back.
        return p, lax.dynamic_update_slice(costs, J, (i,)), after, ok, exact_until

    costs0 = jnp.full((capacity + BLOCK,), jnp.nan, dtype)
    zero = jnp.asarray(0, jnp.int32)
    p, costs, i, ok, _ = lax.while_loop(cond, body, (params, costs0, zero, jnp.asarray(True), zero))
    return p, costs[:capacity], i, ok


@partial(jax.jit, static_argnames=("activation", "output", "gradients", "capacity"))
def run_chunk(params, X, Y, lr, n_steps, cost_every=1, offset=0, *, activation, output, gradients, capacity):
    """Up to ``n_steps`` (<= capacity) gradient steps on one device; see ``descend``.

    ``cost_every`` (the history's stride) and ``offset`` (the run's iteration
    count at the start, modulo cost_every) say which costs are needed; the
    defaults compute every one. Returns (params, costs (capacity,), steps_done, ok).
    """
    value_and_grads, grads = value_and_grads_fn(gradients), grads_fn(gradients)
    blocks = {}
    if blockable(activation, output):
        blocks = {"grads": lambda p: grads(p, X, Y, activation, output),
                  "safe": lambda p, steps: logits_safe(p["W2"], p["b2"], lr, X.shape[1], steps)}
    return descend(lambda p: value_and_grads(p, X, Y, activation, output), params, lr, n_steps, capacity,
                   X.dtype, cost_every=cost_every, offset=offset, **blocks)
