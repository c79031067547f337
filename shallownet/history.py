"""The cost history of a run at a bounded resolution: J every stride-th iteration, and the last one.

A run of two million iterations must not keep two million costs in memory, in model.npz and in
summary.json. ``CostHistory(limit)`` keeps J of the iterations that are multiples of its stride,
plus the last iteration's; the stride is the smallest power of two leaving at most ``limit``
points. It depends on the iteration count only, so a resumed run keeps exactly the points of the
uninterrupted one (even one resumed to another end). The compiled step computes J only at the
points a call's end keeps (``stride_for``, ``shallownet.step``). ``limit=None``: every iteration.
"""

from typing import Self

import numpy as np
from numpy.typing import DTypeLike

LIMIT = 2048  # points kept by a training run (shallownet train): enough for any plot


def stride_for(start: int, total: int, limit: int | None, stride: int = 1) -> int:
    """The smallest power-of-two multiple of ``stride`` with at most ``limit`` multiples in [start, total)."""
    while limit is not None and len(range(-(-start // stride) * stride, total, stride)) > limit:
        stride *= 2
    return stride


class CostHistory:
    """Costs J(i) (J of the parameters before step i) of iterations start .. done - 1, thinned by ``stride``.

    ``start`` > 0 records only iterations from there on (library train's offset). Costs keep the
    dtype they come in (``dtype`` is that of an empty history).
    """

    def __init__(self, limit: int | None = None, *, start: int = 0, dtype: DTypeLike = np.float64) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be >= 1 or None, got {limit}")
        self.limit, self.stride, self.start, self.done, self.dtype = limit, 1, start, start, np.dtype(dtype)
        self._iterations: list[np.ndarray] = []
        self._costs: list[np.ndarray] = []
        self._last: tuple[int, float] | None = None  # (iteration, cost) of iteration done - 1

    @classmethod
    def restore(
        cls, iterations: np.ndarray, costs: np.ndarray, stride: int, done: int, limit: int | None = None
    ) -> Self:
        """The history a checkpoint saved (see ``arrays``); ValueError when it is not one."""
        iterations, costs = np.asarray(iterations), np.asarray(costs, np.float64)
        if stride < 1 or stride & (stride - 1):
            raise ValueError(f"cost stride must be a power of two, got {stride}")
        body = np.arange(0, done, stride, dtype=np.int64)
        expected = body if done == 0 or (done - 1) % stride == 0 else np.append(body, done - 1)
        if iterations.shape != expected.shape or not np.array_equal(iterations, expected):
            raise ValueError(f"cost iterations must be 0, {stride}, {2 * stride}, ... below {done}, then {done - 1}")
        if costs.shape != iterations.shape:
            raise ValueError(f"{costs.shape[0]} costs for {iterations.shape[0]} cost iterations")
        history = cls(limit)
        history.stride, history.done = stride, done
        history._iterations, history._costs = [body], [costs[: body.shape[0]]]
        history._last = (done - 1, costs[-1]) if done else None
        history.reserve(done)
        return history

    def reserve(self, total: int) -> None:
        """Thin to the stride ``total`` iterations need."""
        self.stride = stride_for(self.start, total, self.limit, self.stride)
        if not self._iterations:
            return
        iterations, costs = self._body()
        keep = iterations % self.stride == 0
        self._iterations, self._costs = [iterations[keep]], [costs[keep]]

    def _body(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._iterations:
            return np.zeros(0, np.int64), np.zeros(0, self.dtype)
        return np.concatenate(self._iterations), np.concatenate(self._costs)

    def extend(self, start: int, costs: np.ndarray) -> None:
        """Add J of iterations start, start + 1, ... (``start`` must be ``done``)."""
        costs = np.asarray(costs)
        if start != self.done:
            raise ValueError(f"costs from iteration {start} given, but the history ends at {self.done}")
        n = costs.shape[0]
        if n == 0:
            return
        first = -start % self.stride
        self._iterations.append(np.arange(start + first, start + n, self.stride, dtype=np.int64))
        self._costs.append(costs[first :: self.stride].copy())
        self._last, self.done = (start + n - 1, costs[-1]), start + n
        self.reserve(self.done)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(iterations (K,) int64, costs (K,)): the kept points in order, the last iteration included."""
        iterations, costs = self._body()
        if self._last is not None and self._last[0] % self.stride != 0:
            iterations, costs = np.append(iterations, self._last[0]), np.append(costs, self._last[1])
        return iterations, costs

    @property
    def costs(self) -> np.ndarray:
        return self.arrays()[1]

    @property
    def last_cost(self) -> float | None:
        return None if self._last is None else float(self._last[1])
