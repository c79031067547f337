"""Many networks trained at once, in one compiled program, each getting exactly its one-network result.

A sweep trains networks that differ in hidden size, learning rate, init
(seed) and hidden activation but share the data X, Y. ``train_many`` runs all
their gradient steps in a single ``lax.while_loop``:

- Networks of one (padded) hidden size and one activation form a *group*;
  inside a group the course's functions are batched with ``jax.vmap`` over the
  networks, with X and Y shared (not batched). XLA then computes the whole
  group's hidden layer as one matrix product, (K n_h, n_x) @ (n_x, m), and its
  dW1 as another; only the output layer is a batched product per network.
- The manual path vmaps ``manual.value_and_grads_unchecked`` itself (so a slip
  planted in manual's formulas reaches every network here); the reference path
  takes ``jax.grad`` of the *sum* of the networks' ``reference.cost_unchecked``:
  network k's cost depends on its own parameters only, so the gradient of the
  sum is, block by block, each network's own gradient.
- Small sizes may share a group by padding with hidden units whose weights are
  exact zeros and whose gradients are masked to exact zeros: a padded unit adds
  ``0 * g(0) = 0`` to every sum, so it changes nothing, and it never moves.
- All parameters live in one (N, P) array, one row per network (W1, b1, W2, b2
  flattened), so the update, the finiteness check and the freeze of a diverged
  network are one element-wise pass each, not four per group.
- A network whose cost or parameters become non-finite is frozen at its last
  finite parameters (the same test and the same parameters as the one-network
  loop, ``shallownet.loop.descend``) and the others go on; the loop ends early
  once every network has stopped.

As in ``shallownet.train``, the host runs the loop in chunks of compiled
iterations (one compilation per layout, dtype, gradient path and chunk size),
so a progress bar can move between chunks; the costs come back per network.
"""

import signal
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.typing import DTypeLike

import manual
import reference
from manual.typing import AnyArray, Grads, Params, ParamsLike

from . import loop
from . import train as one

PARAM_NAMES = ("W1", "b1", "W2", "b2")
# Cost model of a group, used to decide which hidden sizes to pad into one
# group: a group costs about GROUP_OVERHEAD hidden-unit-examples of work on top
# of its K * n_h * m (its dozen kernels are launched one by one, whatever their
# size). Set from alternating timings of the flower sweeps (docs/sweep.md).
GROUP_OVERHEAD = 8_000

HostParams = dict[str, np.ndarray]  # one network's W1 b1 W2 b2 on the host
ManyProgress = Callable[[int, np.ndarray], object]  # progress(iterations done, final costs (N,))


@dataclass(frozen=True)
class Costs:
    """The costs kept of every network: the .history of an Interrupted sweep.

    costs (N, K): J of each network before iteration ``iterations[k]`` (every
    cost_every-th iteration done; NaN after a network stopped); final (N,): J
    before each network's last step taken.
    """

    costs: np.ndarray
    iterations: np.ndarray
    final: np.ndarray


@dataclass(frozen=True)
class Group:
    """Rows ``start:stop`` of the parameter array: networks with ``hidden_units`` (padded) units."""

    start: int
    stop: int
    hidden_units: int
    activation: str


@dataclass(frozen=True)
class Layout:
    """The static structure of one compiled program: shapes and groups (hashable, a jit static argument)."""

    n_x: int
    n_y: int
    groups: tuple[Group, ...]
    width: int  # P: columns of the parameter array, the widest group's parameter count

    @property
    def count(self) -> int:
        return self.groups[-1].stop if self.groups else 0


@dataclass(frozen=True)
class ManyResult:
    """What ``train_many`` returns, in the order the networks were given.

    params: one dict W1 b1 W2 b2 (numpy, the training dtype) per network, with
    its own shapes (padding removed). costs (N, K): costs[k, j] is J of network
    k before its step cost_iterations[j] (every cost_every-th iteration: with
    cost_every 1, costs[k, i] for every step i), NaN for steps it did not take.
    final_costs (N,): J before each network's last step taken. steps (N,): the
    steps each network took. diverged (N,) bool: it stopped because a step went
    non-finite; its params are then its last finite ones, after steps[k] steps.
    predictions (N, n_y, m_eval): A2 on ``evaluate`` after the last iteration
    (None when not asked, or when every network stopped before it).
    """

    params: list[HostParams]
    costs: np.ndarray
    steps: np.ndarray
    diverged: np.ndarray
    cost_iterations: np.ndarray
    final_costs: np.ndarray
    predictions: np.ndarray | None = None

    @property
    def diverged_at(self) -> list[int | None]:
        """Per network: the iteration at which it diverged (as ``train.Diverged.iteration``), or None."""
        return [int(steps) if diverged else None for steps, diverged in zip(self.steps, self.diverged)]


# ---------------------------------------------------------------- layout


def param_count(n_h: int, n_x: int, n_y: int) -> int:
    """Entries of W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1)."""
    return n_h * n_x + n_h + n_y * n_h + n_y


def plan_buckets(sizes: dict[int, int], m: int, overhead: int = GROUP_OVERHEAD) -> dict[int, int]:
    """Padded sizes for the distinct hidden sizes ``sizes`` (one activation): {n_h: bucket}.

    Contiguous runs of the sorted sizes share the run's largest size; the runs
    minimize sum over groups of (padded units * m + overhead), by dynamic
    programming over the sorted distinct sizes. ``sizes`` maps n_h -> networks.
    """
    distinct = sorted(sizes)
    best = [0.0] + [np.inf] * len(distinct)  # best[j]: cost of the first j sizes
    cut = [0] * (len(distinct) + 1)
    for j in range(1, len(distinct) + 1):
        for i in range(j):
            run = distinct[i:j]
            cost = best[i] + overhead + m * run[-1] * sum(sizes[n] for n in run)
            if cost < best[j]:
                best[j], cut[j] = cost, i
    buckets: dict[int, int] = {}
    j = len(distinct)
    while j > 0:
        i = cut[j]
        for n in distinct[i:j]:
            buckets[n] = distinct[j - 1]
        j = i
    return buckets


def make_layout(
    hidden_units: Sequence[int],
    activations: Sequence[str],
    n_x: int,
    n_y: int,
    m: int,
    buckets: str | Iterable[int] = "auto",
) -> tuple[Layout, np.ndarray]:
    """(Layout, rows): networks grouped by (activation, padded size); rows[k] is network k's row.

    buckets: "auto" (``plan_buckets``), "exact" (one group per distinct size,
    no padding), or a sequence of sizes (each network padded to the smallest
    bucket >= its size).
    """
    keys = []
    for n_h, activation in zip(hidden_units, activations):
        keys.append((activation, n_h))
    padded: dict[tuple[str, int], int] = {}
    for activation in sorted(set(activations)):
        counts: dict[int, int] = {}
        for network_activation, n_h in keys:
            if network_activation == activation:
                counts[n_h] = counts.get(n_h, 0) + 1
        if buckets == "auto":
            plan = plan_buckets(counts, m)
        elif buckets == "exact":
            plan = {n: n for n in counts}
        else:
            edges = sorted(int(bucket) for bucket in buckets)
            if not edges or max(counts) > edges[-1]:
                raise ValueError(f"buckets {tuple(edges)} do not cover hidden size {max(counts)}")
            plan = {n: min(bucket for bucket in edges if bucket >= n) for n in counts}
        padded.update({(activation, n): bucket for n, bucket in plan.items()})
    order = sorted(range(len(keys)), key=lambda k: (keys[k][0], padded[keys[k]], keys[k][1], k))
    rows = np.empty(len(keys), np.int64)
    groups: list[Group] = []
    start = 0
    for row, k in enumerate(order):
        rows[k] = row
        activation, bucket = keys[k][0], padded[keys[k]]
        if not groups or (groups[-1].activation, groups[-1].hidden_units) != (activation, bucket):
            if groups:
                groups[-1] = Group(start, row, groups[-1].hidden_units, groups[-1].activation)
            start = row
            groups.append(Group(row, row + 1, bucket, activation))
    if groups:
        groups[-1] = Group(start, len(keys), groups[-1].hidden_units, groups[-1].activation)
    width = max((param_count(group.hidden_units, n_x, n_y) for group in groups), default=0)
    return Layout(n_x, n_y, tuple(groups), width), rows


def _offsets(n_h: int, n_x: int, n_y: int) -> dict[str, tuple[int, int]]:
    """Column ranges of W1 b1 W2 b2 in a row of the parameter array."""
    sizes = (n_h * n_x, n_h, n_y * n_h, n_y)
    ends = np.cumsum(sizes)
    return dict(zip(PARAM_NAMES, zip(ends - sizes, ends)))


def pack(
    params: Sequence[HostParams], rows: np.ndarray, layout: Layout, dtype: DTypeLike
) -> tuple[np.ndarray, np.ndarray]:
    """Parameters (a list of dicts) -> theta (N, P) and the mask (N, P): 1 on real entries, 0 on padding."""
    theta = np.zeros((layout.count, layout.width), dtype)
    mask = np.zeros((layout.count, layout.width), dtype)
    for group in layout.groups:
        cols = _offsets(group.hidden_units, layout.n_x, layout.n_y)
        for k in np.flatnonzero((rows >= group.start) & (rows < group.stop)):
            network = params[int(k)]
            n_h = network["W1"].shape[0]
            for name in PARAM_NAMES:
                block = np.zeros(_shape(name, group.hidden_units, layout.n_x, layout.n_y), dtype)
                real = np.zeros_like(block)
                if name in ("W1", "b1"):
                    block[:n_h] = network[name]
                    real[:n_h] = 1
                elif name == "W2":
                    block[:, :n_h] = network[name]
                    real[:, :n_h] = 1
                else:
                    block[:] = network[name]
                    real[:] = 1
                lo, hi = cols[name]
                theta[rows[k], lo:hi] = block.ravel()
                mask[rows[k], lo:hi] = real.ravel()
    return theta, mask


def unpack(theta_row: np.ndarray, n_h: int, padded: int, n_x: int, n_y: int) -> HostParams:
    """One row of theta -> that network's W1 b1 W2 b2 with its own n_h (numpy)."""
    cols = _offsets(padded, n_x, n_y)
    full = {
        name: np.asarray(theta_row[lo:hi]).reshape(_shape(name, padded, n_x, n_y)) for name, (lo, hi) in cols.items()
    }
    return {
        "W1": full["W1"][:n_h].copy(),
        "b1": full["b1"][:n_h].copy(),
        "W2": full["W2"][:, :n_h].copy(),
        "b2": full["b2"].copy(),
    }


def _shape(name: str, n_h: int, n_x: int, n_y: int) -> tuple[int, int]:
    return {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}[name]


def _group_params(theta: jax.Array, group: Group, layout: Layout) -> Params:
    """The group's rows of theta as a dict of batched parameters: W1 (K, n_h, n_x) ... b2 (K, n_y, 1)."""
    block = theta[group.start : group.stop]
    K = group.stop - group.start
    cols = _offsets(group.hidden_units, layout.n_x, layout.n_y)
    return {
        name: block[:, lo:hi].reshape((K,) + _shape(name, group.hidden_units, layout.n_x, layout.n_y))
        for name, (lo, hi) in cols.items()
    }


def _flat(grads: Grads, K: int, width: int) -> jax.Array:
    """A group's gradients dW1 db1 dW2 db2 -> (K, width), in pack's column order, zero-padded."""
    parts = [grads["d" + name].reshape(K, -1) for name in PARAM_NAMES]
    flat = jnp.concatenate(parts, axis=1)
    return jnp.pad(flat, ((0, 0), (0, width - flat.shape[1])))


# ---------------------------------------------------------------- the gradients of all networks


def value_and_grads_many(
    theta: jax.Array, X: jax.Array, Y: jax.Array, *, layout: Layout, gradients: str, output: str, with_cost: bool = True
) -> tuple[jax.Array | None, jax.Array]:
    """(J (N,), G (N, P)): every network's cost and its gradient, flattened like theta.

    ``with_cost=False``: (None, G), the same gradients without the loss (see
    ``loop.grads_fn``). Padding columns of G may hold non-zero values (a
    padded sigmoid unit has A1 = 0.5); the caller multiplies by the mask.
    """
    if gradients == "manual":
        Js, Gs = [], []
        for group in layout.groups:
            K = group.stop - group.start
            batched = _group_params(theta, group, layout)
            if with_cost:
                vg = partial(manual.value_and_grads_unchecked, activation=group.activation, output=output)
                J, grads = jax.vmap(vg, in_axes=(0, None, None))(batched, X, Y)
                Js.append(J)
            else:
                only = partial(manual.grads_unchecked, activation=group.activation, output=output)
                grads = jax.vmap(only, in_axes=(0, None, None))(batched, X, Y)
            Gs.append(_flat(grads, K, layout.width))
        return (jnp.concatenate(Js) if with_cost else None), jnp.concatenate(Gs)
    if gradients == "reference":

        def costs(theta):
            return jnp.concatenate(
                [
                    jax.vmap(
                        lambda one, activation=group.activation: reference.cost_unchecked(one, X, Y, activation, output)
                    )(_group_params(theta, group, layout))
                    for group in layout.groups
                ]
            )

        def total(theta):
            J = costs(theta)
            return jnp.sum(J), J

        # Without the cost: the same program, its unused value left to XLA to drop
        # (a jax.grad of its own sums in another order: other bits).
        (_, J), G = jax.value_and_grad(total, has_aux=True)(theta)
        return (J if with_cost else None), G
    raise ValueError(f"unknown gradient path {gradients!r}; choose manual or reference")


def logits_safe_many(theta: jax.Array, lr: jax.Array, m: int, layout: Layout, steps: int) -> jax.Array:
    """(N,) bool: ``loop.logits_safe`` for every network's W2 and b2 (padded units have W2 = 0)."""
    parts = []
    for group in layout.groups:
        batched = _group_params(theta, group, layout)
        parts.append(loop.logits_safe(batched["W2"], batched["b2"], lr[group.start : group.stop, 0], m, steps))
    return jnp.concatenate(parts)


def descend_many(
    theta: jax.Array,
    alive: jax.Array,
    X: jax.Array,
    Y: jax.Array,
    lr: jax.Array,
    mask: jax.Array,
    n_steps: jax.Array,
    cost_every: jax.Array | int = 1,
    offset: jax.Array | int = 0,
    *,
    layout: Layout,
    gradients: str,
    output: str,
    capacity: int,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """Up to ``n_steps`` (<= capacity) steps of every live network in one ``lax.while_loop``.

    theta (N, P), alive (N,) bool, lr (N, 1), mask (N, P). Returns (theta,
    costs (capacity, N), steps (N,) steps taken per network, alive (N,)).
    costs[i, k] is J of network k before step i, NaN for a step not taken; as
    in ``loop.descend`` it is computed at the steps i with (offset + i) %
    cost_every == 0, at each network's last step and the one before (NaN may
    stand elsewhere). Network k stops, keeping its last finite parameters, at
    the first step whose cost or new parameters are not all finite: the test of
    ``loop.descend``, checked once per block of ``loop.BLOCK`` steps when every
    group's activation is bounded and the output is the sigmoid (a block in
    which a live network fails is replayed by exact single steps for all).
    """
    N = theta.shape[0]
    block_size = loop.BLOCK

    def gradient(theta, with_cost):
        return value_and_grads_many(theta, X, Y, layout=layout, gradients=gradients, output=output, with_cost=with_cost)

    def single(theta, i, steps, alive, exact_until):
        J, G = gradient(theta, True)
        new = theta - lr * (G * mask)
        ok = alive & jnp.isfinite(J) & jnp.all(jnp.isfinite(new), axis=1)
        theta = jnp.where(ok[:, None], new, theta)
        J = jnp.full((block_size, N), jnp.nan, theta.dtype).at[0].set(jnp.where(ok, J, jnp.nan))
        return theta, J, i + 1, steps + ok.astype(steps.dtype), ok, exact_until

    def plain(_, now):
        return now - lr * (gradient(now, False)[1] * mask)

    def block(theta, i, steps, alive, exact_until):
        # A rolled loop, not unrolled copies as in loop.descend: a step of many
        # networks costs far more than the loop's own work (unrolled ran no
        # faster), and each copy of the step would add to every compile.
        now = lax.fori_loop(0, block_size - 1, plain, theta)
        J, G = gradient(now, True)
        now = now - lr * (G * mask)
        fine = logits_safe_many(theta, lr, X.shape[1], layout, block_size) & jnp.all(jnp.isfinite(now), axis=1)
        kept = jnp.all(fine | ~alive)
        live = kept & alive
        theta = jnp.where(live[:, None], now, theta)
        J = jnp.full((block_size, N), jnp.nan, theta.dtype).at[block_size - 1].set(jnp.where(live, J, jnp.nan))
        advance = jnp.where(kept, block_size, 0).astype(i.dtype)
        # A block not kept is replayed from theta by exact single steps.
        return (
            theta,
            J,
            i + advance,
            steps + jnp.where(live, advance, 0).astype(steps.dtype),
            alive,
            jnp.where(kept, exact_until, i + block_size),
        )

    blocks = all(loop.blockable(group.activation, output) for group in layout.groups)

    def cond(state):
        _, _, i, _, alive, _ = state
        return (i < n_steps) & jnp.any(alive)

    def body(state):
        theta, costs, i, steps, alive, exact_until = state
        if blocks:
            starts = loop.block_starts(offset, i, n_steps, exact_until) & (cost_every % block_size == 0)
            theta, J, after, steps, alive, exact_until = lax.cond(
                starts, block, single, theta, i, steps, alive, exact_until
            )
        else:
            theta, J, after, steps, alive, exact_until = single(theta, i, steps, alive, exact_until)
        # costs has spare rows at its end, so this write is never moved back.
        return theta, lax.dynamic_update_slice(costs, J, (i, jnp.zeros_like(i))), after, steps, alive, exact_until

    costs0 = jnp.full((capacity + block_size, N), jnp.nan, theta.dtype)
    zero = jnp.asarray(0, jnp.int32)
    theta, costs, _, steps, alive, _ = lax.while_loop(
        cond, body, (theta, costs0, zero, jnp.zeros((N,), jnp.int32), alive, zero)
    )
    return theta, costs[:capacity], steps, alive


def chunk_many(
    theta: jax.Array,
    alive: jax.Array,
    X: jax.Array,
    Y: jax.Array,
    lr: jax.Array,
    mask: jax.Array,
    n_steps: jax.Array,
    cost_every: jax.Array | int,
    offset: jax.Array | int,
    X_eval: jax.Array,
    evaluate: jax.Array | bool,
    *,
    layout: Layout,
    gradients: str,
    output: str,
    capacity: int,
) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array, jax.Array]:
    """``descend_many``, then (``evaluate`` True) every network's A2 (N, n_y, m_eval) on X_eval.

    The evaluation rides in the training's program so that a sweep's scores
    need no compile of their own; it runs only on the call that asks.
    """
    theta, costs, steps, alive = descend_many(
        theta,
        alive,
        X,
        Y,
        lr,
        mask,
        n_steps,
        cost_every,
        offset,
        layout=layout,
        gradients=gradients,
        output=output,
        capacity=capacity,
    )
    shape = (theta.shape[0], layout.n_y, X_eval.shape[1])
    A2 = lax.cond(
        evaluate,
        lambda theta: predict_many(theta, X_eval, layout=layout, output=output).astype(theta.dtype),
        lambda theta: jnp.zeros(shape, theta.dtype),
        theta,
    )
    return theta, costs, steps, alive, A2


run_chunk_many = jax.jit(chunk_many, static_argnames=("layout", "gradients", "output", "capacity"))


def predict_many(theta: jax.Array, X: jax.Array, *, layout: Layout, output: str) -> jax.Array:
    """A2 (N, n_y, m) of every network on X, in theta's row order (traceable)."""
    outs = []
    for group in layout.groups:
        fwd = partial(manual.forward_unchecked, activation=group.activation, output=output)
        A2, _ = jax.vmap(fwd, in_axes=(0, None))(_group_params(theta, group, layout), X)
        outs.append(A2)
    return jnp.concatenate(outs)


_predict_many_jit = jax.jit(predict_many, static_argnames=("layout", "output"))


# ---------------------------------------------------------------- the host side


def _per_network(value: float | str | Iterable[float] | Iterable[str], count: int, name: str) -> list[Any]:
    """A scalar or one value per network -> a list of ``count`` values."""
    if isinstance(value, (str, int, float, np.floating, np.integer)):
        return [value] * count
    values = list(value)
    if len(values) != count:
        raise ValueError(f"{name} has {len(values)} values for {count} networks")
    return values


class Packed:
    """Networks packed for one compiled program: layout, theta (N, P), mask, per-row learning rates.

    ``rows[k]`` is the row of the k-th network given; ``to_host`` undoes the packing.
    """

    def __init__(
        self,
        params: Sequence[ParamsLike],
        n_x: int,
        n_y: int,
        m: int,
        *,
        lr: float | Iterable[float],
        activation: str | Iterable[str],
        dtype: DTypeLike,
        buckets: str | Iterable[int] = "auto",
    ) -> None:
        count = len(params)
        if count == 0:
            raise ValueError("no networks to train")
        self.activations = [str(name) for name in _per_network(activation, count, "activation")]
        self.lrs = [float(rate) for rate in _per_network(lr, count, "lr")]
        if not all(np.isfinite(self.lrs)):
            raise ValueError("every learning rate must be a finite number")
        for k, (network, network_activation) in enumerate(zip(params, self.activations)):
            try:
                manual.check_activation(network_activation)
                manual.checks.check_params(network, n_x=n_x, n_y=n_y)
            except ValueError as e:
                raise ValueError(f"network {k}: {e}") from None
        self.dtype = jnp.dtype(dtype)
        self.hidden_units = [int(network["W1"].shape[0]) for network in params]
        self.layout, self.rows = make_layout(self.hidden_units, self.activations, n_x, n_y, m, buckets)
        host = [{name: np.asarray(network[name], np.float64) for name in PARAM_NAMES} for network in params]
        theta, mask = pack(host, self.rows, self.layout, self.dtype)
        lr_rows = np.zeros((count, 1), self.dtype)
        lr_rows[self.rows, 0] = self.lrs
        self.theta = jax.device_put(theta)
        self.mask, self.lr = jax.device_put(mask), jax.device_put(lr_rows)
        self.padded = np.empty(count, np.int64)
        for group in self.layout.groups:
            self.padded[(self.rows >= group.start) & (self.rows < group.stop)] = group.hidden_units

    def to_host(self, theta: AnyArray) -> list[HostParams]:
        """theta -> each network's parameters (numpy dicts), in the given order."""
        theta = np.asarray(theta)
        return [
            unpack(theta[self.rows[k]], n_h, self.padded[k], self.layout.n_x, self.layout.n_y)
            for k, n_h in enumerate(self.hidden_units)
        ]


def predict(
    params: Sequence[ParamsLike],
    X: AnyArray,
    *,
    activation: str | Iterable[str] = "tanh",
    output: str = "sigmoid",
    dtype: DTypeLike | None = None,
) -> np.ndarray:
    """A2 (N, n_y, m) numpy of every network of ``params`` on X (n_x, m), in one compiled call."""
    manual.checks.check_X(X)
    manual.checks.check_output(output)
    n_y = params[0]["W2"].shape[0] if len(params) else 1
    dtype = jnp.dtype(dtype or X.dtype)
    packed = Packed(params, X.shape[0], n_y, X.shape[1], lr=0.0, activation=activation, dtype=dtype)
    A2 = _predict_many_jit(packed.theta, one.as_device(X, dtype), layout=packed.layout, output=output)
    return np.asarray(A2)[packed.rows]


def train_many(
    params: Sequence[ParamsLike],
    X: AnyArray,
    Y: AnyArray,
    *,
    lr: float | Iterable[float] = 1.2,
    activation: str | Iterable[str] = "tanh",
    output: str = "sigmoid",
    gradients: str = "manual",
    iterations: int = 10000,
    chunk: int = 1000,
    dtype: DTypeLike | None = None,
    progress: ManyProgress | None = None,
    buckets: str | Iterable[int] = "auto",
    timings: dict[str, float] | None = None,
    cost_every: int = 1,
    should_stop: Callable[[], int | None] | None = None,
    chunk_seconds: float | None = None,
    evaluate: AnyArray | None = None,
) -> ManyResult:
    """Train every network of ``params`` (a list of W1 b1 W2 b2 dicts) on the same X, Y, all at once.

    ``lr`` and ``activation`` are one value for all or one per network. Each
    network gets what ``shallownet.train.train(params[k], X, Y, lr=lr[k], ...)``
    gives it alone (to round-off: its sums may run in another order). A network
    whose step goes non-finite stops there (see ``ManyResult``) and the others
    go on; no exception is raised for it. ``dtype`` defaults to X's.

    ``cost_every``: keep J every cost_every-th iteration (1: all); with a
    multiple of ``loop.BLOCK`` the other steps skip the loss and the check runs
    once per block (``descend_many``). ``progress(done, final_costs (N,))`` is
    called between chunks. ``should_stop()`` is asked between chunks; a signal
    number it returns, or Ctrl-C, raises ``train.Interrupted`` whose .params (a
    list) and .history (``Costs``) are those of the last finished chunk.
    ``chunk_seconds``: size each compiled call to take about that long (from one
    step, as ``train.drive`` does), so a stop request waits at most that long;
    None: every call runs ``chunk`` steps. ``timings`` (a dict) receives
    compile_s (the program compiled ahead of time, apart) and run_s.
    ``evaluate`` (n_x, m_eval): ManyResult.predictions is then every network's
    A2 on it after the last iteration, computed in the training's own program.
    ``buckets``: see ``make_layout``.
    """
    one.check_gradients(gradients)
    manual.checks.check_output(output)
    manual.checks.check_X(X)
    manual.checks.check_Y(Y, X, output)
    if iterations < 0 or chunk < 1 or cost_every < 1:
        raise ValueError("iterations must be >= 0, chunk >= 1 and cost_every >= 1")
    dtype = jnp.dtype(dtype or X.dtype)
    packed = Packed(
        params, X.shape[0], Y.shape[0], X.shape[1], lr=lr, activation=activation, dtype=dtype, buckets=buckets
    )
    X, Y = one.as_device(X, dtype), one.as_device(Y, dtype)
    N = len(packed.rows)
    capacity = max(1, min(chunk, iterations))
    kwargs = {"layout": packed.layout, "gradients": gradients, "output": output, "capacity": capacity}
    alive = jax.device_put(np.ones((N,), bool))
    as_int = np.int32
    X_eval = one.as_device(np.zeros((X.shape[0], 0)) if evaluate is None else evaluate, dtype)
    if timings is not None:
        t0 = time.perf_counter()
        run_chunk_many.lower(
            packed.theta, alive, X, Y, packed.lr, packed.mask, as_int(0), as_int(1), as_int(0), X_eval, False, **kwargs
        ).compile()
        timings["compile_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    kept = _KeptCosts(N, iterations, cost_every, dtype)
    steps_next = capacity if chunk_seconds is None else 1
    # (theta, alive on the device, alive on the host, steps per row, iterations
    # done): replaced by one assignment per chunk (after the costs were taken),
    # so that a stop never sees them out of step.
    state = (packed.theta, alive, np.ones(N, bool), np.zeros(N, np.int64), 0)
    last_A2: jax.Array | None = None  # A2 on evaluate, from the call that ran the last iteration
    try:
        while state[4] < iterations and state[2].any():
            theta, alive, _, steps, done = state
            n = min(steps_next, iterations - done)
            started = time.perf_counter()
            last = done + n == iterations
            theta, costs, taken, alive, A2 = run_chunk_many(
                theta,
                alive,
                X,
                Y,
                packed.lr,
                packed.mask,
                as_int(n),
                as_int(cost_every),
                as_int(done % cost_every),
                X_eval,
                last and evaluate is not None,
                **kwargs,
            )
            if last and evaluate is not None:
                last_A2 = A2
            costs, taken, alive_host = jax.device_get((costs, taken, alive))
            kept.extend(done, costs[:n], taken)
            state = (theta, alive, alive_host, steps + taken, done + n)
            if chunk_seconds is not None:
                steps_next = one.next_steps(n, time.perf_counter() - started, chunk_seconds, capacity)
            if progress is not None:
                progress(done + n, kept.final[packed.rows])
            if should_stop is not None and state[4] < iterations and state[2].any():
                signum = should_stop()
                if signum is not None:
                    raise one.Interrupted(
                        state[4], packed.to_host(theta), kept.result(packed.rows, state[4]), signum=signum
                    )
    except KeyboardInterrupt as e:
        if isinstance(e, one.Interrupted):
            raise
        theta, done = state[0], state[4]
        raise one.Interrupted(
            done, packed.to_host(theta), kept.result(packed.rows, done), signum=getattr(e, "signum", signal.SIGINT)
        ) from None
    theta, _, alive, steps, done = state
    jax.block_until_ready(theta)
    if timings is not None:
        timings["run_s"] = time.perf_counter() - t0
    history = kept.result(packed.rows, iterations)
    # Only a failed step clears a network's alive flag: running out of iterations does not.
    predictions = None if last_A2 is None else np.asarray(last_A2)[packed.rows]
    return ManyResult(
        params=packed.to_host(theta),
        costs=history.costs,
        steps=steps[packed.rows],
        diverged=~alive[packed.rows],
        cost_iterations=history.iterations,
        final_costs=history.final,
        predictions=predictions,
    )


class _KeptCosts:
    """The costs a train_many call keeps: every cost_every-th iteration's, and each network's last."""

    def __init__(self, count: int, iterations: int, cost_every: int, dtype: DTypeLike) -> None:
        self.iterations = np.arange(0, iterations, cost_every, dtype=np.int64)
        self.costs = np.full((count, self.iterations.shape[0]), np.nan, dtype)
        self.final = np.full(count, np.nan, dtype)  # J before each network's last step taken
        self.cost_every = cost_every

    def extend(self, done: int, costs: np.ndarray, taken: np.ndarray) -> None:
        """costs (n, N) of iterations done .. done + n - 1; taken (N,): steps each network took."""
        first = -done % self.cost_every
        rows = np.arange(first, costs.shape[0], self.cost_every)
        columns = (done + rows) // self.cost_every
        self.costs[:, columns] = costs[rows].T
        moved = taken > 0
        self.final[moved] = costs[taken[moved] - 1, np.flatnonzero(moved)]

    def result(self, order: np.ndarray, done: int) -> Costs:
        """A ``Costs`` in the networks' given order, up to iteration ``done``."""
        upto = int(np.searchsorted(self.iterations, done))
        return Costs(self.costs[order, :upto], self.iterations[:upto], self.final[order])
