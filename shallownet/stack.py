"""A stack: the parameters of N networks in one (N, P) array, grouped for one compiled program.

One network is a stack of one. Networks that share the data X, Y but differ in
hidden size, activation, learning rate and init are rows of one array theta
(N, P): W1, b1, W2, b2 flattened, one row per network. Rows of one hidden
activation and one (padded) hidden size form a *group*; the compiled step
(``shallownet.step``) vmaps the course's functions over a group's rows, so XLA
computes the group's hidden layer as one matrix product.

Small sizes may share a group by padding with hidden units whose weights are
exact zeros and whose gradients are masked to exact zeros (``mask``): a padded
unit adds ``0 * g(0) = 0`` to every sum, so it changes nothing and never moves.
The update, the finiteness check and the freeze of a diverged network are then
one element-wise pass over theta each.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

PARAM_NAMES = ("W1", "b1", "W2", "b2")
# Cost model of a group, to decide which hidden sizes to pad into one group: a
# group costs about GROUP_OVERHEAD hidden-unit-examples of work on top of its
# K * n_h * m (its dozen kernels are launched one by one, whatever their size).
GROUP_OVERHEAD = 8_000

HostParams = dict[str, np.ndarray]  # one network's W1 b1 W2 b2 on the host


@dataclass(frozen=True)
class Group:
    """Rows ``start:stop`` of theta: networks with ``hidden_units`` (padded) units and one activation."""

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
    width: int  # P: columns of theta, the widest group's parameter count

    @property
    def count(self) -> int:
        return self.groups[-1].stop if self.groups else 0


def param_count(n_h: int, n_x: int, n_y: int) -> int:
    """Entries of W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1)."""
    return n_h * n_x + n_h + n_y * n_h + n_y


def shape(name: str, n_h: int, n_x: int, n_y: int) -> tuple[int, int]:
    return {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}[name]


def offsets(n_h: int, n_x: int, n_y: int) -> dict[str, tuple[int, int]]:
    """Column ranges of W1 b1 W2 b2 in a row of theta."""
    sizes = (n_h * n_x, n_h, n_y * n_h, n_y)
    ends = np.cumsum(sizes)
    return {name: (int(end - size), int(end)) for name, size, end in zip(PARAM_NAMES, sizes, ends)}


def plan_buckets(sizes: dict[int, int], m: int, overhead: int = GROUP_OVERHEAD) -> dict[int, int]:
    """Padded sizes for the distinct hidden sizes ``sizes`` (n_h -> networks, one activation): {n_h: bucket}.

    Contiguous runs of the sorted sizes share the run's largest size; the runs
    minimize the sum over groups of (padded units * m + overhead), by dynamic
    programming over the sorted distinct sizes.
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
        buckets.update({n: distinct[j - 1] for n in distinct[i:j]})
        j = i
    return buckets


def _padded_sizes(keys: list[tuple[str, int]], m: int, buckets: str | Iterable[int]) -> dict[tuple[str, int], int]:
    """(activation, n_h) -> the padded size of its group, per ``buckets`` (see make_layout)."""
    padded: dict[tuple[str, int], int] = {}
    for activation in sorted({key[0] for key in keys}):
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
    return padded


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
    keys = list(zip(activations, hidden_units))
    padded = _padded_sizes(keys, m, buckets)
    order = sorted(range(len(keys)), key=lambda k: (keys[k][0], padded[keys[k]], keys[k][1], k))
    rows = np.empty(len(keys), np.int64)
    groups: list[Group] = []
    for row, k in enumerate(order):
        rows[k] = row
        activation, bucket = keys[k][0], padded[keys[k]]
        if groups and (groups[-1].activation, groups[-1].hidden_units) == (activation, bucket):
            groups[-1] = Group(groups[-1].start, row + 1, bucket, activation)
        else:
            groups.append(Group(row, row + 1, bucket, activation))
    width = max((param_count(group.hidden_units, n_x, n_y) for group in groups), default=0)
    return Layout(n_x, n_y, tuple(groups), width), rows


def _own(name: str, n_h: int) -> Any:
    """Where a network's own n_h hidden units sit in a padded block of parameter ``name``."""
    return {"W1": np.s_[:n_h], "b1": np.s_[:n_h], "W2": np.s_[:, :n_h], "b2": np.s_[:]}[name]


def _row(network: dict[str, Any], padded: int, n_x: int, n_y: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """One network's parameters as a row of theta and of the mask (1 on real entries, 0 on padding)."""
    n_h = network["W1"].shape[0]
    values, real = [], []
    for name in PARAM_NAMES:
        block = np.zeros(shape(name, padded, n_x, n_y), dtype)
        ones = np.zeros_like(block)
        block[_own(name, n_h)] = network[name]
        ones[_own(name, n_h)] = 1
        values.append(block.ravel())
        real.append(ones.ravel())
    return np.concatenate(values), np.concatenate(real)


def pack(
    params: Sequence[dict[str, Any]], rows: np.ndarray, layout: Layout, dtype: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Parameters (a list of dicts) -> theta (N, P) and the mask (N, P): 1 on real entries, 0 on padding."""
    theta = np.zeros((layout.count, layout.width), dtype)
    mask = np.zeros((layout.count, layout.width), dtype)
    for group in layout.groups:
        for k in np.flatnonzero((rows >= group.start) & (rows < group.stop)):
            values, real = _row(params[int(k)], group.hidden_units, layout.n_x, layout.n_y, dtype)
            theta[rows[k], : values.size], mask[rows[k], : real.size] = values, real
    return theta, mask


def unpack(theta_row: np.ndarray, n_h: int, padded: int, n_x: int, n_y: int) -> HostParams:
    """One row of theta -> that network's W1 b1 W2 b2 with its own n_h (numpy copies)."""
    return {
        name: np.asarray(theta_row[lo:hi]).reshape(shape(name, padded, n_x, n_y))[_own(name, n_h)].copy()
        for name, (lo, hi) in offsets(padded, n_x, n_y).items()
    }


def per_network(value: Any, count: int, name: str) -> list[Any]:
    """A scalar or one value per network -> a list of ``count`` values."""
    if isinstance(value, (str, int, float, np.floating, np.integer)):
        return [value] * count
    values = list(value)
    if len(values) != count:
        raise ValueError(f"{name} has {len(values)} values for {count} networks")
    return values


class Stack:
    """Networks as one stack on the host: layout, theta (N, P), mask (N, P), lr (N, 1), all numpy.

    ``rows[k]`` is the row of the k-th network given; ``to_host`` undoes the packing.
    """

    def __init__(
        self,
        params: Sequence[Any],
        n_x: int,
        n_y: int,
        m: int,
        *,
        lr: Any,
        activation: Any,
        dtype: Any,
        buckets: str | Iterable[int] = "auto",
    ) -> None:
        import manual  # JAX: only once networks are stacked

        count = len(params)
        if count == 0:
            raise ValueError("no networks to train")
        self.activations = [str(name) for name in per_network(activation, count, "activation")]
        self.lrs = [float(rate) for rate in per_network(lr, count, "lr")]
        if not all(np.isfinite(self.lrs)):
            raise ValueError("every learning rate must be a finite number")
        for k, (network, network_activation) in enumerate(zip(params, self.activations)):
            try:
                manual.check_activation(network_activation)
                manual.checks.check_params(network, n_x=n_x, n_y=n_y)
            except ValueError as e:
                raise ValueError(e if count == 1 else f"network {k}: {e}") from None
        self.dtype = np.dtype(dtype)
        self.hidden_units = [int(network["W1"].shape[0]) for network in params]
        self.layout, self.rows = make_layout(self.hidden_units, self.activations, n_x, n_y, m, buckets)
        host = [{name: np.asarray(network[name], np.float64) for name in PARAM_NAMES} for network in params]
        self.theta, self.mask = pack(host, self.rows, self.layout, self.dtype)
        self.lr = np.zeros((count, 1), self.dtype)
        self.lr[self.rows, 0] = self.lrs
        self.padded = np.empty(count, np.int64)
        for group in self.layout.groups:
            self.padded[(self.rows >= group.start) & (self.rows < group.stop)] = group.hidden_units

    @property
    def count(self) -> int:
        return len(self.rows)

    def to_host(self, theta: Any) -> list[HostParams]:
        """theta (rows in layout order) -> each network's parameters (numpy dicts), in the given order."""
        theta = np.asarray(theta)
        return [
            unpack(theta[self.rows[k]], n_h, int(self.padded[k]), self.layout.n_x, self.layout.n_y)
            for k, n_h in enumerate(self.hidden_units)
        ]
