"""Networks trained by full-batch gradient descent, the library's entry points: ``train_many`` stacks the
networks and runs the one host loop (``shallownet.fit``); ``train`` is one network, a stack of one, whose
divergence is its error (``Diverged``, with the last finite parameters) where among many it freezes."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import manual
from manual.typing import AnyArray, ParamsLike

from . import evaluate
from .fit import Diverged, Interrupted, fit, last_costs, stacked_costs
from .history import CostHistory
from .parallel import GRAD_PATHS, check_gradients
from .stack import HostParams, Stack

__all__ = ["GRAD_PATHS", "Diverged", "Interrupted", "ManyResult", "train", "train_many"]

INIT_SCALE = 0.01
Progress = Callable[[int, float], object]  # progress(iterations done, last cost)


def init_params(n_x: int, n_h: int, n_y: int, seed: int = 0, init: str = "random") -> dict[str, np.ndarray]:
    """Starting parameters as float64 numpy: W ~ 0.01 N(0, 1), zero biases.

    init="random" draws from numpy's seeded Generator (no JAX compile at
    start-up); init="course" is the course's own draw (legacy seed 2), which
    reproduces its published numbers.
    """
    for value, name in ((n_x, "n_x"), (n_h, "n_h"), (n_y, "n_y")):
        manual.checks.check_count(value, name)
    if init == "course":
        return manual.initialize_parameters(n_x, n_h, n_y)
    if init != "random":
        raise ValueError(f"unknown init {init!r}; choose random or course")
    rng = np.random.default_rng(seed)
    W1 = INIT_SCALE * rng.standard_normal((n_h, n_x))
    W2 = INIT_SCALE * rng.standard_normal((n_y, n_h))
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}


def _check(X: AnyArray, Y: AnyArray, output: str, gradients: Any, iterations: int, chunk: int) -> None:
    """The checks of every training entry point before anything is compiled; ValueError names the problem."""
    if not callable(gradients):  # a callable: a per-shard function (``shallownet.parallel``)
        check_gradients(gradients)
    manual.checks.check_output(output)
    manual.checks.check_X(X)
    manual.checks.check_Y(Y, X, output)
    manual.checks.check_count(iterations, "iterations")
    manual.checks.check_count(chunk, "chunk")


def train(params: ParamsLike, X: AnyArray, Y: AnyArray, *, lr: float = 1.2, **options: Any) -> tuple[HostParams, Any]:
    """One network, a stack of one (``train_many``, which checks everything); returns (params numpy, costs numpy).

    ``options``: activation, dtype (default: that of X), progress(done, last cost) between chunks,
    start_iteration and history (where a resumed run's CostHistory ends; ``costs`` is then its kept
    costs), checkpoint(iteration, params, history), and ``train_many``'s. Raises Diverged (with the last
    finite params) if a step goes non-finite, Interrupted (the last chunk's params) on a stop.
    """
    start, history = options.pop("start_iteration", 0), options.pop("history", None)
    progress, checkpoint = options.pop("progress", None), options.pop("checkpoint", None)
    if progress is not None:
        options["progress"] = lambda done, costs: progress(done, float(costs[0]))
    if checkpoint is not None:
        options["checkpoint"] = lambda at, nets, records: checkpoint(at, nets[0], records[0])
    one = {"buckets": "exact", "histories": None if history is None else [history], "cost_limit": None}
    try:
        result = train_many([params], X, Y, lr=lr, start=start, **one, **options)
    except Interrupted as e:
        raise Interrupted(e.iteration, e.params[0], e.history[0], signum=e.signum, total=e.total) from None
    history = result.histories[0]
    if result.diverged[0]:
        raise Diverged(history.done, result.params[0], history)
    return result.params[0], history.costs


def predict(params: ParamsLike, X: AnyArray, activation: str = "tanh", output: str = "sigmoid") -> np.ndarray:
    """Predictions (n_y, m) as numpy: 0/1 (A2 > 0.5) for the sigmoid output, A2 itself for identity."""
    return evaluate.predictions(evaluate.forward(params, X, activation, output), output)


def accuracy(params: ParamsLike, X: AnyArray, Y: AnyArray, activation: str = "tanh", output: str = "sigmoid") -> float:
    """Percent of examples (and output units) where the 0/1 prediction equals Y (sigmoid output)."""
    return evaluate.score(predict(params, X, activation, output), np.asarray(Y), "sigmoid")


@dataclass(frozen=True)
class ManyResult:
    """What ``train_many`` returns, networks in the order given: params (numpy, the training dtype, each its
    own shapes), histories, steps (N,) taken, diverged (N,) (a step went non-finite: params are the last
    finite ones), predictions (N, n_y, m_eval) on ``evaluate`` after the last iteration, or None."""

    params: list[HostParams]
    histories: list[CostHistory]
    steps: np.ndarray
    diverged: np.ndarray
    predictions: np.ndarray | None = None

    @property
    def costs(self) -> np.ndarray:
        """(N, K): each network's kept costs, NaN after its last step."""
        return stacked_costs(self.histories)

    @property
    def final_costs(self) -> np.ndarray:
        """(N,): J before each network's last step taken (NaN when none was)."""
        return last_costs(self.histories)

    @property
    def diverged_at(self) -> list[int | None]:
        """Per network: the iteration at which it diverged (as ``Diverged.iteration``), or None."""
        return [int(history.done) if gone else None for history, gone in zip(self.histories, self.diverged)]


def train_many(params: Sequence[ParamsLike], X: AnyArray, Y: AnyArray, **options: Any) -> ManyResult:
    """Train every network of ``params`` (a list of W1 b1 W2 b2 dicts) on the same X, Y, all at once.

    Each network gets what ``train(params[k], X, Y, lr=lr[k], ...)`` gives it alone (to round-off); one
    whose step goes non-finite stops there and the others go on. ``options``: lr and activation (one value
    or one per network), output, gradients (a path, or with ``devices`` a per-shard function), iterations,
    chunk, dtype, buckets (``stack.make_layout``), histories (one per network ending at ``start``, a resumed
    run's; one ending earlier diverged there) or new ones keeping ``cost_limit`` points, devices (a count:
    the examples sharded), and ``fit.fit``'s and ``fit.drive``'s. A stop raises Interrupted (lists).
    """
    output, gradients = options.pop("output", "sigmoid"), options.pop("gradients", "manual")
    iterations, chunk = options.pop("iterations", 10000), options.pop("chunk", 1000)
    _check(X, Y, output, gradients, iterations, chunk)
    dtype = np.dtype(options.pop("dtype", None) or np.asarray(X).dtype)
    manual.checks.check_dtype(dtype)
    limit, start = options.pop("cost_limit", None), options.get("start", 0)
    histories = options.pop("histories", None) or [CostHistory(limit, start=start, dtype=dtype) for _ in params]
    if any(history.done > start for history in histories):
        raise ValueError(f"a history ends after the start {start}")
    layout = {
        name: options.pop(name, default) for name, default in (("lr", 1.2), ("activation", "tanh"), ("buckets", "auto"))
    }
    stack = Stack(params, np.shape(X)[0], np.shape(Y)[0], np.shape(X)[1], dtype=dtype, **layout)
    steps = {"iterations": iterations, "chunk": chunk}
    fitted = fit(stack, X, Y, gradients=gradients, output=output, histories=histories, **steps, **options)
    return ManyResult(fitted.params, list(histories), fitted.steps, fitted.diverged, fitted.predictions)
