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
import time
from dataclasses import dataclass
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

import manual
import reference

from . import train as one

PARAM_NAMES = ("W1", "b1", "W2", "b2")
# Cost model of a group, used to decide which hidden sizes to pad into one
# group: a group costs about GROUP_OVERHEAD hidden-unit-examples of work on top
# of its K * n_h * m (its dozen kernels are launched one by one, whatever their
# size). Set from alternating timings of the flower sweeps (docs/sweep.md).
GROUP_OVERHEAD = 8_000


@dataclass(frozen=True)
class Costs:
    """Every network's cost at every iteration done, (N, done): the .history of an Interrupted sweep."""
    costs: np.ndarray


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
    groups: tuple
    width: int            # P: columns of the parameter array, the widest group's parameter count

    @property
    def count(self):
        return self.groups[-1].stop if self.groups else 0


@dataclass(frozen=True)
class ManyResult:
    """What ``train_many`` returns, in the order the networks were given.

    params: one dict W1 b1 W2 b2 (numpy, the training dtype) per network, with
    its own shapes (padding removed). costs (N, iterations): costs[k, i] is J of
    network k before its step i, NaN for steps it did not take. steps (N,): the
    steps each network took. diverged (N,) bool: it stopped because a step went
    non-finite; its params are then its last finite ones, after steps[k] steps.
    """
    params: list
    costs: np.ndarray
    steps: np.ndarray
    diverged: np.ndarray

    @property
    def diverged_at(self):
        """Per network: the iteration at which it diverged (as ``train.Diverged.iteration``), or None."""
        return [int(s) if d else None for s, d in zip(self.steps, self.diverged)]


# ---------------------------------------------------------------- layout

def param_count(n_h, n_x, n_y):
    """Entries of W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1)."""
    return n_h * n_x + n_h + n_y * n_h + n_y


def plan_buckets(sizes, m, overhead=GROUP_OVERHEAD):
    """Padded sizes for the distinct hidden sizes ``sizes`` (one activation): {n_h: bucket}.

    Contiguous runs of the sorted sizes share the run's largest size; the runs
    minimize sum over groups of (padded units * m + overhead), by dynamic
    programming over the sorted distinct sizes. ``sizes`` maps n_h -> networks.
    """
    distinct = sorted(sizes)
    best = [0.0] + [np.inf] * len(distinct)    # best[j]: cost of the first j sizes
    cut = [0] * (len(distinct) + 1)
    for j in range(1, len(distinct) + 1):
        for i in range(j):
            run = distinct[i:j]
            cost = best[i] + overhead + m * run[-1] * sum(sizes[n] for n in run)
            if cost < best[j]:
                best[j], cut[j] = cost, i
    buckets, j = {}, len(distinct)
    while j > 0:
        i = cut[j]
        for n in distinct[i:j]:
            buckets[n] = distinct[j - 1]
        j = i
    return buckets


def make_layout(hidden_units, activations, n_x, n_y, m, buckets="auto"):
    """(Layout, rows): networks grouped by (activation, padded size); rows[k] is network k's row.

    buckets: "auto" (``plan_buckets``), "exact" (one group per distinct size,
    no padding), or a sequence of sizes (each network padded to the smallest
    bucket >= its size).
    """
    keys = []
    for n_h, activation in zip(hidden_units, activations):
        keys.append((activation, n_h))
    padded = {}
    for activation in sorted(set(activations)):
        counts = {}
        for a, n_h in keys:
            if a == activation:
                counts[n_h] = counts.get(n_h, 0) + 1
        if buckets == "auto":
            plan = plan_buckets(counts, m)
        elif buckets == "exact":
            plan = {n: n for n in counts}
        else:
            edges = sorted(int(b) for b in buckets)
            if not edges or max(counts) > edges[-1]:
                raise ValueError(f"buckets {tuple(edges)} do not cover hidden size {max(counts)}")
            plan = {n: min(b for b in edges if b >= n) for n in counts}
        padded.update({(activation, n): b for n, b in plan.items()})
    order = sorted(range(len(keys)), key=lambda k: (keys[k][0], padded[keys[k]], keys[k][1], k))
    rows = np.empty(len(keys), np.int64)
    groups, start = [], 0
    for row, k in enumerate(order):
        rows[k] = row
        activation, b = keys[k][0], padded[keys[k]]
        if not groups or (groups[-1].activation, groups[-1].hidden_units) != (activation, b):
            if groups:
                groups[-1] = Group(start, row, groups[-1].hidden_units, groups[-1].activation)
            start = row
            groups.append(Group(row, row + 1, b, activation))
    if groups:
        groups[-1] = Group(start, len(keys), groups[-1].hidden_units, groups[-1].activation)
    width = max((param_count(g.hidden_units, n_x, n_y) for g in groups), default=0)
    return Layout(n_x, n_y, tuple(groups), width), rows


def _offsets(n_h, n_x, n_y):
    """Column ranges of W1 b1 W2 b2 in a row of the parameter array."""
    sizes = (n_h * n_x, n_h, n_y * n_h, n_y)
    ends = np.cumsum(sizes)
    return dict(zip(PARAM_NAMES, zip(ends - sizes, ends)))


def pack(params, rows, layout, dtype):
    """Parameters (a list of dicts) -> theta (N, P) and the mask (N, P): 1 on real entries, 0 on padding."""
    theta = np.zeros((layout.count, layout.width), dtype)
    mask = np.zeros((layout.count, layout.width), dtype)
    for g in layout.groups:
        cols = _offsets(g.hidden_units, layout.n_x, layout.n_y)
        for k in np.flatnonzero((rows >= g.start) & (rows < g.stop)):
            p = params[k]
            n_h = p["W1"].shape[0]
            for name in PARAM_NAMES:
                block = np.zeros(_shape(name, g.hidden_units, layout.n_x, layout.n_y), dtype)
                real = np.zeros_like(block)
                if name in ("W1", "b1"):
                    block[:n_h] = p[name]
                    real[:n_h] = 1
                elif name == "W2":
                    block[:, :n_h] = p[name]
                    real[:, :n_h] = 1
                else:
                    block[:] = p[name]
                    real[:] = 1
                lo, hi = cols[name]
                theta[rows[k], lo:hi] = block.ravel()
                mask[rows[k], lo:hi] = real.ravel()
    return theta, mask


def unpack(theta_row, n_h, padded, n_x, n_y):
    """One row of theta -> that network's W1 b1 W2 b2 with its own n_h (numpy)."""
    cols = _offsets(padded, n_x, n_y)
    p = {name: np.asarray(theta_row[lo:hi]).reshape(_shape(name, padded, n_x, n_y))
         for name, (lo, hi) in cols.items()}
    return {"W1": p["W1"][:n_h].copy(), "b1": p["b1"][:n_h].copy(), "W2": p["W2"][:, :n_h].copy(),
            "b2": p["b2"].copy()}


def _shape(name, n_h, n_x, n_y):
    return {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}[name]


def _group_params(theta, group, layout):
    """The group's rows of theta as a dict of batched parameters: W1 (K, n_h, n_x) ... b2 (K, n_y, 1)."""
    block = theta[group.start:group.stop]
    K = group.stop - group.start
    cols = _offsets(group.hidden_units, layout.n_x, layout.n_y)
    return {name: block[:, lo:hi].reshape((K,) + _shape(name, group.hidden_units, layout.n_x, layout.n_y))
            for name, (lo, hi) in cols.items()}


def _flat(grads, K, width):
    """A group's gradients dW1 db1 dW2 db2 -> (K, width), in pack's column order, zero-padded."""
    parts = [grads["d" + name].reshape(K, -1) for name in PARAM_NAMES]
    flat = jnp.concatenate(parts, axis=1)
    return jnp.pad(flat, ((0, 0), (0, width - flat.shape[1])))


# ---------------------------------------------------------------- the gradients of all networks

def value_and_grads_many(theta, X, Y, *, layout, gradients, output):
    """(J (N,), G (N, P)): every network's cost and its gradient, flattened like theta.

    Padding columns of G may hold non-zero values (a padded sigmoid unit has
    A1 = 0.5); the caller multiplies by the mask.
    """
    if gradients == "manual":
        Js, Gs = [], []
        for g in layout.groups:
            K = g.stop - g.start
            vg = partial(manual.value_and_grads_unchecked, activation=g.activation, output=output)
            J, grads = jax.vmap(vg, in_axes=(0, None, None))(_group_params(theta, g, layout), X, Y)
            Js.append(J)
            Gs.append(_flat(grads, K, layout.width))
        return jnp.concatenate(Js), jnp.concatenate(Gs)
    if gradients == "reference":
        def costs(theta):
            return jnp.concatenate([
                jax.vmap(lambda p, a=g.activation: reference.cost_unchecked(p, X, Y, a, output))(
                    _group_params(theta, g, layout))
                for g in layout.groups])

        def total(theta):
            J = costs(theta)
            return jnp.sum(J), J

        (_, J), G = jax.value_and_grad(total, has_aux=True)(theta)
        return J, G
    raise ValueError(f"unknown gradient path {gradients!r}; choose manual or reference")


def descend_many(theta, alive, X, Y, lr, mask, n_steps, *, layout, gradients, output, capacity):
    """Up to ``n_steps`` (<= capacity) steps of every live network in one ``lax.while_loop``.

    theta (N, P), alive (N,) bool, lr (N, 1), mask (N, P). Returns (theta,
    costs (capacity, N), steps (N,) steps taken per network, alive (N,)).
    costs[i, k] is J of network k before step i, NaN for a step not taken.
    Network k stops, keeping its last finite parameters, at the first step whose
    cost or new parameters are not all finite: the test of ``loop.descend``.
    """
    N = theta.shape[0]

    def cond(state):
        _, _, i, _, alive = state
        return (i < n_steps) & jnp.any(alive)

    def body(state):
        theta, costs, i, steps, alive = state
        J, G = value_and_grads_many(theta, X, Y, layout=layout, gradients=gradients, output=output)
        new = theta - lr * (G * mask)
        ok = alive & jnp.isfinite(J) & jnp.all(jnp.isfinite(new), axis=1)
        theta = jnp.where(ok[:, None], new, theta)
        costs = costs.at[i].set(jnp.where(ok, J, jnp.nan))
        return theta, costs, i + 1, steps + ok.astype(steps.dtype), ok

    costs0 = jnp.full((capacity, N), jnp.nan, theta.dtype)
    theta, costs, _, steps, alive = lax.while_loop(
        cond, body, (theta, costs0, jnp.asarray(0, jnp.int32), jnp.zeros((N,), jnp.int32), alive))
    return theta, costs, steps, alive


run_chunk_many = jax.jit(descend_many, static_argnames=("layout", "gradients", "output", "capacity"))


def predict_many(theta, X, *, layout, output):
    """A2 (N, n_y, m) of every network on X, in theta's row order (traceable)."""
    outs = []
    for g in layout.groups:
        fwd = partial(manual.forward_unchecked, activation=g.activation, output=output)
        A2, _ = jax.vmap(fwd, in_axes=(0, None))(_group_params(theta, g, layout), X)
        outs.append(A2)
    return jnp.concatenate(outs)


_predict_many_jit = jax.jit(predict_many, static_argnames=("layout", "output"))


# ---------------------------------------------------------------- the host side

def _per_network(value, count, name):
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

    def __init__(self, params, n_x, n_y, m, *, lr, activation, dtype, buckets="auto"):
        count = len(params)
        if count == 0:
            raise ValueError("no networks to train")
        self.activations = [str(a) for a in _per_network(activation, count, "activation")]
        self.lrs = [float(v) for v in _per_network(lr, count, "lr")]
        if not all(np.isfinite(self.lrs)):
            raise ValueError("every learning rate must be a finite number")
        for k, (p, a) in enumerate(zip(params, self.activations)):
            try:
                manual.parse_activation(a)
                manual.checks.check_params(p, n_x=n_x, n_y=n_y)
            except ValueError as e:
                raise ValueError(f"network {k}: {e}") from None
        self.dtype = jnp.dtype(dtype)
        self.hidden_units = [int(p["W1"].shape[0]) for p in params]
        self.layout, self.rows = make_layout(self.hidden_units, self.activations, n_x, n_y, m, buckets)
        host = [{k: np.asarray(p[k], np.float64) for k in PARAM_NAMES} for p in params]
        theta, mask = pack(host, self.rows, self.layout, self.dtype)
        lr_rows = np.zeros((count, 1), self.dtype)
        lr_rows[self.rows, 0] = self.lrs
        self.theta = jax.device_put(theta)
        self.mask, self.lr = jax.device_put(mask), jax.device_put(lr_rows)
        self.padded = np.empty(count, np.int64)
        for g in self.layout.groups:
            self.padded[(self.rows >= g.start) & (self.rows < g.stop)] = g.hidden_units

    def to_host(self, theta):
        """theta -> each network's parameters (numpy dicts), in the given order."""
        theta = np.asarray(theta)
        return [unpack(theta[self.rows[k]], n_h, self.padded[k], self.layout.n_x, self.layout.n_y)
                for k, n_h in enumerate(self.hidden_units)]


def predict(params, X, *, activation="tanh", output="sigmoid", dtype=None):
    """A2 (N, n_y, m) numpy of every network of ``params`` on X (n_x, m), in one compiled call."""
    manual.checks.check_X(X)
    manual.checks.check_output(output)
    n_y = params[0]["W2"].shape[0] if len(params) else 1
    dtype = jnp.dtype(dtype or X.dtype)
    packed = Packed(params, X.shape[0], n_y, X.shape[1], lr=0.0, activation=activation, dtype=dtype)
    A2 = _predict_many_jit(packed.theta, one.as_device(X, dtype), layout=packed.layout, output=output)
    return np.asarray(A2)[packed.rows]


def train_many(params, X, Y, *, lr=1.2, activation="tanh", output="sigmoid", gradients="manual",
               iterations=10000, chunk=1000, dtype=None, progress=None, buckets="auto", timings=None):
    """Train every network of ``params`` (a list of W1 b1 W2 b2 dicts) on the same X, Y, all at once.

    ``lr`` and ``activation`` are one value for all or one per network. Each
    network gets what ``shallownet.train.train(params[k], X, Y, lr=lr[k], ...)``
    gives it alone (to round-off: its sums may run in another order). A network
    whose step goes non-finite stops there (see ``ManyResult``) and the others
    go on; no exception is raised for it. ``dtype`` defaults to X's.
    ``progress(done, last_costs (N,))`` is called between chunks; Ctrl-C raises
    ``train.Interrupted`` whose .params (a list) and .costs ((N, done)) are
    those of the last finished chunk. ``timings`` (a dict) receives compile_s
    (the program compiled ahead of time, apart) and run_s. ``buckets``: see
    ``make_layout``.
    """
    one.value_and_grads_fn(gradients)
    manual.checks.check_output(output)
    manual.checks.check_X(X)
    manual.checks.check_Y(Y, X, output)
    if iterations < 0 or chunk < 1:
        raise ValueError("iterations must be >= 0 and chunk >= 1")
    dtype = jnp.dtype(dtype or X.dtype)
    packed = Packed(params, X.shape[0], Y.shape[0], X.shape[1], lr=lr, activation=activation, dtype=dtype,
                    buckets=buckets)
    X, Y = one.as_device(X, dtype), one.as_device(Y, dtype)
    N = len(packed.rows)
    kwargs = {"layout": packed.layout, "gradients": gradients, "output": output, "capacity": chunk}
    alive = jax.device_put(np.ones((N,), bool))
    if timings is not None:
        t0 = time.perf_counter()
        run_chunk_many.lower(packed.theta, alive, X, Y, packed.lr, packed.mask, np.int32(0), **kwargs).compile()
        timings["compile_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    # (theta, alive on the device, alive on the host, steps per row, iterations
    # done, cost chunks (n, N)): replaced by one assignment per chunk, so that
    # Ctrl-C never sees them out of step.
    state = (packed.theta, alive, np.ones(N, bool), np.zeros(N, np.int64), 0, [])
    try:
        while state[4] < iterations and state[2].any():
            theta, alive, _, steps, done, history = state
            n = min(chunk, iterations - done)
            theta, costs, taken, alive = run_chunk_many(theta, alive, X, Y, packed.lr, packed.mask,
                                                        np.int32(n), **kwargs)
            costs, taken, alive_host = jax.device_get((costs, taken, alive))
            state = (theta, alive, alive_host, steps + taken, done + n, history + [costs[:n]])
            if progress is not None:
                progress(done + n, last_costs(costs[:n])[packed.rows])
    except KeyboardInterrupt:
        theta, done, history = state[0], state[4], state[5]
        raise one.Interrupted(done, packed.to_host(theta), Costs(_joined(history, N)[packed.rows])) from None
    theta, _, alive, steps, done, history = state
    jax.block_until_ready(theta)
    if timings is not None:
        timings["run_s"] = time.perf_counter() - t0
    costs = np.full((N, iterations), np.nan, dtype)
    costs[:, :done] = _joined(history, N)
    # Only a failed step clears a network's alive flag: running out of iterations does not.
    diverged = ~alive
    return ManyResult(params=packed.to_host(theta), costs=costs[packed.rows], steps=steps[packed.rows],
                      diverged=diverged[packed.rows])


def _joined(history, N):
    """The chunks' (n, N) cost arrays -> (N, iterations done)."""
    return np.concatenate(history).T if history else np.zeros((N, 0))


def last_costs(costs):
    """The last non-NaN entry of each column of ``costs`` (n, N): (N,), NaN where none."""
    finite = ~np.isnan(costs)
    last = costs.shape[0] - 1 - np.argmax(finite[::-1], axis=0)
    return np.where(finite.any(axis=0), costs[last, np.arange(costs.shape[1])], np.nan)
