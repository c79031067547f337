"""A stack: the parameters of N networks in one (N, P) array, grouped for one compiled program.

One network is a stack of one. Networks that share X, Y but differ in hidden size, activation,
learning rate and init are rows of theta (N, P): W1, b1, W2, b2 flattened. Rows of one hidden
activation and one (padded) hidden size form a *group*; the step (``shallownet.step``) vmaps the
course's functions over a group's rows, so XLA computes its hidden layer as one matrix product.
Small sizes may share a group by padding with hidden units whose weights are exact zeros and whose
gradients the ``mask`` zeroes: a padded unit adds ``0 * g(0) = 0`` to every sum and never moves.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

PARAM_NAMES = ("W1", "b1", "W2", "b2")
# A group costs about GROUP_OVERHEAD hidden-unit-examples of work on top of its K * n_h * m (its
# dozen kernels are launched one by one, whatever their size): what padding sizes together saves.
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


def shape(name: str, n_h: int, n_x: int, n_y: int) -> tuple[int, int]:
    return {"W1": (n_h, n_x), "b1": (n_h, 1), "W2": (n_y, n_h), "b2": (n_y, 1)}[name]


def param_count(n_h: int, n_x: int, n_y: int) -> int:
    """Entries of W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1)."""
    return sum(int(np.prod(shape(name, n_h, n_x, n_y))) for name in PARAM_NAMES)


def offsets(n_h: int, n_x: int, n_y: int) -> dict[str, tuple[int, int]]:
    """Column ranges of W1 b1 W2 b2 in a row of theta."""
    ends = np.cumsum([np.prod(shape(name, n_h, n_x, n_y)) for name in PARAM_NAMES])
    return {name: (int(end - np.prod(shape(name, n_h, n_x, n_y))), int(end)) for name, end in zip(PARAM_NAMES, ends)}


def columns(n_h: int, padded: int, n_x: int, n_y: int) -> np.ndarray:
    """Where the entries of a network with n_h units (W1 b1 W2 b2, each raveled) sit in a row padded to ``padded``."""
    where = []
    for name, (lo, hi) in offsets(padded, n_x, n_y).items():
        own = tuple(slice(0, size) for size in shape(name, n_h, n_x, n_y))
        where.append(np.arange(lo, hi).reshape(shape(name, padded, n_x, n_y))[own].ravel())
    return np.concatenate(where)


def plan_buckets(sizes: dict[int, int], m: int, overhead: int = GROUP_OVERHEAD) -> dict[int, int]:
    """Padded sizes for the distinct hidden sizes ``sizes`` (n_h -> networks, one activation): {n_h: bucket}.

    Contiguous runs of the sorted sizes share the run's largest size; dynamic programming over the
    sorted sizes picks the runs minimizing the sum over groups of (padded units * m + overhead).
    """
    distinct = sorted(sizes)
    best, cut = [0.0] + [np.inf] * len(distinct), [0] * (len(distinct) + 1)  # best[j]: the first j sizes
    for j in range(1, len(distinct) + 1):
        for i in range(j):
            cost = best[i] + overhead + m * distinct[j - 1] * sum(sizes[n] for n in distinct[i:j])
            if cost < best[j]:
                best[j], cut[j] = cost, i
    buckets, j = {}, len(distinct)
    while j > 0:
        buckets.update({n: distinct[j - 1] for n in distinct[cut[j] : j]})
        j = cut[j]
    return buckets


def _bucket(counts: dict[int, int], m: int, buckets: str | Iterable[int]) -> dict[int, int]:
    """{n_h: its padded size} for one activation's sizes, per ``buckets`` (see make_layout)."""
    if buckets == "auto":
        return plan_buckets(counts, m)
    if buckets == "exact":
        return {n: n for n in counts}
    edges = sorted(int(bucket) for bucket in buckets)
    if not edges or max(counts) > edges[-1]:
        raise ValueError(f"buckets {tuple(edges)} do not cover hidden size {max(counts)}")
    return {n: min(bucket for bucket in edges if bucket >= n) for n in counts}


def make_layout(
    hidden_units: Sequence[int],
    activations: Sequence[str],
    n_x: int,
    n_y: int,
    m: int,
    buckets: str | Iterable[int] = "auto",
) -> tuple[Layout, np.ndarray]:
    """(Layout, rows): networks grouped by (activation, padded size); rows[k] is network k's row.

    buckets: "auto" (``plan_buckets``), "exact" (one group per size, no padding), or sizes (each
    network padded to the smallest bucket >= its size).
    """
    keys = list(zip(activations, hidden_units))
    padded = {}
    for activation in sorted(set(activations)):
        counts = Counter(n for network_activation, n in keys if network_activation == activation)
        padded.update({(activation, n): size for n, size in _bucket(counts, m, buckets).items()})
    order = sorted(range(len(keys)), key=lambda k: (keys[k][0], padded[keys[k]], keys[k][1], k))
    rows, groups = np.empty(len(keys), np.int64), list[Group]()
    for row, k in enumerate(order):
        rows[k], kind = row, (padded[keys[k]], keys[k][0])
        if groups and (groups[-1].hidden_units, groups[-1].activation) == kind:
            groups[-1] = Group(groups[-1].start, row + 1, *kind)
        else:
            groups.append(Group(row, row + 1, *kind))
    width = max((param_count(group.hidden_units, n_x, n_y) for group in groups), default=0)
    return Layout(n_x, n_y, tuple(groups), width), rows


def per_network(value: Any, count: int, name: str) -> list[Any]:
    """A scalar (a 0-d array too) or one value per network -> a list of ``count`` values."""
    if isinstance(value, str) or not isinstance(value, Iterable) or getattr(value, "shape", None) == ():
        return [value] * count
    if len(values := list(value)) != count:
        raise ValueError(f"{name} has {len(values)} values for {count} networks")
    return values


class Stack:
    """Networks as one stack on the host: layout, theta (N, P), mask (N, P), lr (N, 1), all numpy.

    ``rows[k]`` is the row of the k-th network given; ``to_host`` undoes the packing. ``lr``: one
    learning rate or one per network, each a finite number > 0 (ValueError naming the network when
    there are several).
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
        rates = per_network(lr, count, "lr")
        for k, (network, network_activation, rate) in enumerate(zip(params, self.activations, rates)):
            try:
                manual.checks.check_positive_number(rate, "lr")  # the library's one check of a learning rate
                manual.check_activation(network_activation)
                manual.checks.check_params(network, n_x=n_x, n_y=n_y)
            except ValueError as e:
                raise ValueError(e if count == 1 else f"network {k}: {e}") from None
        self.lrs = [float(rate) for rate in rates]
        self.dtype, self.hidden_units = np.dtype(dtype), [int(network["W1"].shape[0]) for network in params]
        # A rate theta's dtype cannot hold becomes inf (every step non-finite) or 0 (no step at all).
        info = np.finfo(self.dtype)
        outside = [rate for rate in self.lrs if not float(info.smallest_subnormal) <= rate <= float(info.max)]
        if outside:
            rate = outside[0]
            side = f"beyond {self.dtype}'s largest" if rate > 1 else f"below {self.dtype}'s smallest"
            limit = float(info.max if rate > 1 else info.smallest_subnormal)
            raise ValueError(f"lr {rate:g} is {side} number {limit:.4g}; use float64 (--dtype float64)")
        self.layout, self.rows = make_layout(self.hidden_units, self.activations, n_x, n_y, m, buckets)
        padded = {row: g.hidden_units for g in self.layout.groups for row in range(g.start, g.stop)}
        self.columns = [columns(n, padded[row], n_x, n_y) for n, row in zip(self.hidden_units, self.rows)]
        self.theta, self.mask = (np.zeros((count, self.layout.width), self.dtype) for _ in range(2))
        self.lr = np.zeros((count, 1), self.dtype)
        for k, (network, row, where) in enumerate(zip(params, self.rows, self.columns)):
            self.theta[row, where] = np.concatenate([np.asarray(network[n], np.float64).ravel() for n in PARAM_NAMES])
            self.mask[row, where], self.lr[row, 0] = 1, self.lrs[k]

    @property
    def count(self) -> int:
        return len(self.rows)

    def to_host(self, theta: Any) -> list[HostParams]:
        """theta (rows in layout order) -> each network's parameters (numpy dicts), in the given order."""
        theta, (n_x, n_y) = np.asarray(theta), (self.layout.n_x, self.layout.n_y)
        return [
            {name: theta[row, where][lo:hi].reshape(shape(name, n_h, n_x, n_y)) for name, (lo, hi) in own.items()}
            for n_h, row, where in zip(self.hidden_units, self.rows, self.columns)
            for own in [offsets(n_h, n_x, n_y)]
        ]
