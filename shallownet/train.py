"""Networks trained by full-batch gradient descent: one network is a stack of one (``shallownet.fit``).

``train(params, X, Y, ...)`` is the library's one-network entry point (the notebooks use it),
``train_many(list of params, X, Y, ...)`` the many-network one; both check the problem, stack the networks
and run the one host loop over the one compiled step. Only divergence is told apart: a single run that goes
non-finite raises ``Diverged`` with its last finite parameters; among many, that network is frozen and reported.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

import manual
from manual.typing import AnyArray, ParamsLike

from .fit import Diverged, Interrupted, fit, last_costs, stacked_costs
from .history import CostHistory
from .stack import HostParams, Stack
from .step import GRAD_PATHS, check_gradients

__all__ = [
    "GRAD_PATHS",
    "Diverged",
    "Interrupted",
    "ManyResult",
    "accuracy",
    "init_params",
    "predict",
    "train",
    "train_many",
]

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


def train(
    params: ParamsLike,
    X: AnyArray,
    Y: AnyArray,
    *,
    activation: str = "tanh",
    lr: float = 1.2,
    dtype: DTypeLike | None = None,
    progress: Progress | None = None,
    start_iteration: int = 0,
    history: CostHistory | None = None,
    checkpoint: Callable[[int, HostParams, CostHistory], object] | None = None,
    **options: Any,
) -> tuple[HostParams, np.ndarray]:
    """One network: ``train_many`` of a stack of one; returns (params numpy, costs numpy).

    ``dtype`` (default: that of X) casts data and parameters. ``progress(done, last_cost)`` is called
    between chunks. Raises Diverged (with the last finite params) if a step goes non-finite, Interrupted
    (the last chunk's params) on a stop. ``start_iteration``: where a resumed run's ``history`` ends;
    ``costs`` is then its kept costs. ``options``: see ``train_many``.
    """
    output = options.get("output", "sigmoid")
    _check(X, Y, output, options.get("gradients", "manual"), options.get("iterations", 1), options.get("chunk", 1))
    manual.checks.check_positive_number(lr, "lr")
    manual.check_activation(activation)
    manual.check_problem(params, X, Y, output)
    dtype = np.dtype(dtype or np.asarray(X).dtype)
    history = CostHistory(start=start_iteration, dtype=dtype) if history is None else history
    try:
        result = train_many(
            [params],
            X,
            Y,
            lr=lr,
            activation=activation,
            dtype=dtype,
            buckets="exact",
            histories=[history],
            start=start_iteration,
            progress=None if progress is None else (lambda done, costs: progress(done, float(costs[0]))),
            checkpoint=None if checkpoint is None else (lambda at, nets, records: checkpoint(at, nets[0], records[0])),
            **options,
        )
    except Interrupted as e:
        raise Interrupted(e.iteration, e.params[0], history, signum=e.signum, total=e.total) from None
    if result.diverged[0]:
        raise Diverged(history.done, result.params[0], history)
    return result.params[0], history.costs


def predict(params: ParamsLike, X: AnyArray, activation: str = "tanh", output: str = "sigmoid") -> np.ndarray:
    """Predictions (n_y, m) as numpy: 0/1 (A2 > 0.5) for the sigmoid output, A2 itself for identity."""
    from . import evaluate

    return evaluate.predictions(evaluate.forward(params, X, activation, output), output)


def accuracy(params: ParamsLike, X: AnyArray, Y: AnyArray, activation: str = "tanh", output: str = "sigmoid") -> float:
    """Percent of examples (and output units) where the 0/1 prediction equals Y (sigmoid output)."""
    from . import evaluate

    return evaluate.score(predict(params, X, activation, output), np.asarray(Y), "sigmoid")


@dataclass(frozen=True)
class ManyResult:
    """What ``train_many`` returns, in the order the networks were given.

    params: one dict W1 b1 W2 b2 (numpy, the training dtype) per network, its own shapes. steps (N,): the
    steps each network took; diverged (N,) bool: a step went non-finite (its params are then its last finite
    ones). predictions (N, n_y, m_eval): A2 on ``evaluate`` after the last iteration (None when not asked,
    or when every network stopped before it).
    """

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
        return [int(steps) if diverged else None for steps, diverged in zip(self.steps, self.diverged)]


def train_many(
    params: Sequence[ParamsLike],
    X: AnyArray,
    Y: AnyArray,
    *,
    lr: Any = 1.2,
    activation: Any = "tanh",
    output: str = "sigmoid",
    gradients: Any = "manual",
    iterations: int = 10000,
    chunk: int = 1000,
    dtype: DTypeLike | None = None,
    buckets: Any = "auto",
    cost_limit: int | None = None,
    histories: Sequence[CostHistory] | None = None,
    start: int = 0,
    devices: int | None = None,
    **options: Any,
) -> ManyResult:
    """Train every network of ``params`` (a list of W1 b1 W2 b2 dicts) on the same X, Y, all at once.

    ``lr`` and ``activation``: one value for all or one per network. Each network gets what
    ``train(params[k], X, Y, lr=lr[k], ...)`` gives it alone (to round-off). A network whose step goes
    non-finite stops there (``ManyResult``) and the others go on. ``histories``: one per network, each ending
    at ``start`` (a resumed run's), else new ones keeping ``cost_limit`` points. ``devices`` (a count) shards
    the examples (``shallownet.parallel``; ``gradients`` may then be a per-shard function). ``options``:
    progress(done, last costs (N,)), checkpoint, should_stop, chunk_seconds, timings, evaluate (``fit.fit``,
    ``fit.drive``). A stop raises Interrupted whose .params and .history are lists.
    """
    _check(X, Y, output, gradients, iterations, chunk)
    dtype = np.dtype(dtype or np.asarray(X).dtype)
    manual.checks.check_dtype(dtype)
    histories = [CostHistory(cost_limit, dtype=dtype) for _ in params] if histories is None else histories
    for history in histories:
        if history.done != start:
            raise ValueError(f"the history ends at iteration {history.done}, not at the start {start}")
    n_x, m = np.shape(X)
    stack = Stack(params, n_x, np.shape(Y)[0], m, lr=lr, activation=activation, dtype=dtype, buckets=buckets)
    fitted = fit(
        stack,
        X,
        Y,
        gradients=gradients,
        output=output,
        iterations=iterations,
        chunk=chunk,
        histories=histories,
        devices=devices,
        start=start,
        **options,
    )
    return ManyResult(fitted.params, list(histories), fitted.steps, fitted.diverged, fitted.predictions)
