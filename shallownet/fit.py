"""The one host loop: a stack of networks trained in compiled chunks, with progress, checkpoints and stops.

``fit(stack, X, Y, ...)`` places the data and the stack on one device (or
shards the examples over several, ``shallownet.parallel``) and calls the one
compiled step (``shallownet.step.run_chunk``) chunk after chunk. ``drive`` is
the loop itself, written against a plain ``run`` function so that it can be
tested without JAX. Between chunks it:

- extends each network's ``CostHistory`` (one record of costs for all);
- calls ``progress(done, last costs (N,))``;
- calls ``checkpoint(iteration, host params, histories)`` when
  ``checkpoint_every`` seconds have passed since the last one;
- asks ``should_stop()``: a signal number stops the run with ``Interrupted``
  (as Ctrl-C does), carrying the last finished chunk's parameters.

``chunk_seconds``: each call's step count is adapted so that it takes about
that long (starting from one step), so checkpoints and stop requests are
served on time whatever an iteration costs.
"""

import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import signals
from .history import CostHistory
from .stack import HostParams, Stack

GROWTH = 8  # the most a call's step count grows over the previous call's
# run(state, steps, last) -> (state, costs (steps, N), steps taken (N,), alive (N,)), numpy but the state
ChunkRunner = Callable[[Any, int, bool], tuple[Any, np.ndarray, np.ndarray, np.ndarray]]
StackProgress = Callable[[int, np.ndarray], object]  # progress(iterations done, last costs (N,))


class Diverged(RuntimeError):
    """A single run's cost or parameters became non-finite; .params holds the last finite ones.

    .history is the CostHistory up to .iteration (.costs its kept costs).
    """

    def __init__(self, iteration: int, params: Any, history: Any) -> None:
        super().__init__(
            f"cost became non-finite at iteration {iteration} (learning rate too large?); "
            "kept the last finite parameters"
        )
        self.iteration, self.params, self.history = iteration, params, history

    @property
    def costs(self) -> np.ndarray:
        return self.history.costs


class Interrupted(KeyboardInterrupt):
    """A stop request (Ctrl-C, SIGTERM, SIGHUP: .signum) during training.

    .params and .history are those of the last finished chunk (one network's,
    or a list per network); .saved is where a caller stored them (None: not
    stored); .total: the run's iteration target, when known.
    """

    def __init__(
        self,
        iteration: int,
        params: Any,
        history: Any,
        saved: Path | None = None,
        signum: int = signal.SIGINT,
        total: int | None = None,
    ) -> None:
        super().__init__(f"interrupted by {signals.name(signum)} after iteration {iteration}")
        self.iteration, self.params, self.history, self.saved = iteration, params, history, saved
        self.signum, self.total = signum, total

    @property
    def costs(self) -> np.ndarray:
        if isinstance(self.history, list):
            return stacked_costs(self.history)
        return self.history.costs


def stacked_costs(histories: Sequence[CostHistory]) -> np.ndarray:
    """(N, K): each history's kept costs, NaN after a network's last, K the longest."""
    rows = [history.costs for history in histories]
    width = max((row.shape[0] for row in rows), default=0)
    dtype = histories[0].costs.dtype if histories else np.float64
    out = np.full((len(rows), width), np.nan, dtype if np.issubdtype(dtype, np.floating) else np.float64)
    for k, row in enumerate(rows):
        out[k, : row.shape[0]] = row
    return out


def next_steps(steps: int, elapsed: float, target: float, capacity: int) -> int:
    """Steps of the next call so that it takes about ``target`` seconds (``steps`` took ``elapsed``)."""
    wanted = int(steps * target / max(elapsed, 1e-9))
    return max(1, min(capacity, GROWTH * steps, wanted))


def last_costs(histories: Sequence[CostHistory]) -> np.ndarray:
    return np.array([np.nan if h.last_cost is None else h.last_cost for h in histories])


def extend(histories: Sequence[CostHistory], start: int, costs: np.ndarray, taken: np.ndarray) -> None:
    """Network k took taken[k] steps from iteration ``start``: its costs are costs[:taken[k], k]."""
    for k, history in enumerate(histories):
        if taken[k] > 0:
            history.extend(start, costs[: int(taken[k]), k])


@dataclass
class Loop:
    """Where the host loop stands: replaced by one assignment per chunk, so a stop never sees it half-updated."""

    state: Any
    done: int
    alive: np.ndarray


def drive(
    run: ChunkRunner,
    state: Any,
    *,
    iterations: int,
    chunk: int,
    histories: Sequence[CostHistory],
    start: int = 0,
    to_host: Callable[[Any], Any] = lambda state: state,
    progress: StackProgress | None = None,
    checkpoint: Callable[[int, Any, Sequence[CostHistory]], object] | None = None,
    checkpoint_every: float | None = None,
    should_stop: Callable[[], int | None] | None = None,
    chunk_seconds: float | None = None,
) -> Loop:
    """Run ``iterations`` steps in calls of at most ``chunk``; returns the final Loop (state, done, alive).

    ``histories`` (one per network, each ending at ``start``) receive the
    costs. Stops early once no network is alive. Raises Interrupted (the last
    finished chunk, through ``to_host``) on Ctrl-C or a stop request.
    """
    steps = chunk if chunk_seconds is None else 1
    last_checkpoint, total = time.monotonic(), start + iterations
    now = Loop(state, 0, np.ones(len(histories), bool))
    try:
        while now.done < iterations and now.alive.any():
            n = min(steps, iterations - now.done)
            call_start = time.perf_counter()
            new, costs, taken, alive = run(now.state, n, now.done + n == iterations)
            elapsed = time.perf_counter() - call_start
            with signals.deferred():  # the histories and the state move together
                extend(histories, start + now.done, costs, taken)
                now = Loop(new, now.done + n, alive)
            if progress is not None:
                progress(now.done, last_costs(histories))
            if chunk_seconds is not None:
                steps = next_steps(n, elapsed, chunk_seconds, chunk)
            if now.done < iterations and now.alive.any():
                signum = None if should_stop is None else should_stop()
                if signum is not None:
                    raise Interrupted(start + now.done, to_host(now.state), histories, signum=signum, total=total)
                if checkpoint is not None and time.monotonic() - last_checkpoint >= (checkpoint_every or 0.0):
                    checkpoint(start + now.done, to_host(now.state), histories)
                    last_checkpoint = time.monotonic()
    except KeyboardInterrupt as e:
        if isinstance(e, Interrupted):
            raise
        signum = getattr(e, "signum", signal.SIGINT)
        raise Interrupted(start + now.done, to_host(now.state), histories, signum=signum, total=total) from None
    return now


@dataclass(frozen=True)
class Fitted:
    """What ``fit`` returns, networks in the order given: params (host, the training dtype), steps (N,)
    taken in this call, diverged (N,) bool (stopped at a non-finite step: params are the last finite
    ones), predictions (N, n_y, m_eval) on ``evaluate`` after the last iteration, or None."""

    params: list[HostParams]
    steps: np.ndarray
    diverged: np.ndarray
    predictions: np.ndarray | None


def _host(x: Any) -> np.ndarray:
    """A (replicated) result as numpy: this process's copy."""
    return np.asarray(x.addressable_data(0))


def _placed(stack: Stack, X: Any, Y: Any, devices: int | None, evaluate: Any) -> tuple[dict[str, Any], Callable, Any]:
    """(the step's array arguments, put, mesh): on the default device (devices None), or the examples
    sharded over a mesh of ``devices`` devices."""
    import jax

    from . import parallel

    dtype = stack.dtype
    X, Y = np.asarray(X, dtype), np.asarray(Y, dtype)
    m = np.asarray(X.shape[1], dtype)  # real examples: the 1/m of the sharded path
    X_eval = np.zeros((X.shape[0], 0), dtype) if evaluate is None else np.asarray(evaluate, dtype)
    mesh = None
    if devices is None:
        put: Callable[[Any], Any] = jax.device_put
        arrays = {"X": put(X), "Y": put(Y), "columns": put(np.zeros((1, 0), dtype))}
    else:
        mesh = parallel.data_mesh(devices)

        def put(x: Any) -> Any:
            return parallel.put_replicated(x, mesh)

        X_pad, Y_pad, columns = parallel.pad_examples(X, Y, devices)
        arrays = {
            name: parallel.put_columns(a, mesh) for name, a in zip(("X", "Y", "columns"), (X_pad, Y_pad, columns))
        }
    arrays.update(m=put(m), lr=put(stack.lr), mask=put(stack.mask), X_eval=put(X_eval))
    return arrays, put, mesh


def _runner(
    stack: Stack, arrays: dict[str, Any], put: Callable, static: dict[str, Any], evaluate: bool, predictions: list
) -> tuple[Callable, ChunkRunner]:
    """(arguments(state, n, last): run_chunk's arguments, run: drive's ChunkRunner) over the placed arrays."""
    from .step import run_chunk

    def arguments(state: tuple[Any, Any], n: int, last: bool) -> tuple[Any, ...]:
        """run_chunk's arguments, in its order: the same types on every call, so one compile serves all."""
        n_steps, ask = put(np.asarray(n, np.int32)), put(np.asarray(last and evaluate))
        data = [arrays[name] for name in ("X", "Y", "lr", "mask")]
        return (*state, *data, n_steps, arrays["X_eval"], ask, arrays["columns"], arrays["m"])

    def run(state: tuple[Any, Any], n: int, last: bool) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
        theta, costs, taken, alive, A2 = run_chunk(*arguments(state, n, last), **static)
        if last and evaluate:
            predictions.append(A2)
        rows = stack.rows  # the device's rows are in layout order; the histories in the order given
        return (theta, alive), _host(costs)[:n, rows], _host(taken)[rows], _host(alive)[rows]

    return arguments, run


def fit(
    stack: Stack,
    X: Any,
    Y: Any,
    *,
    gradients: Any,
    output: str,
    iterations: int,
    chunk: int,
    histories: Sequence[CostHistory],
    devices: int | None = None,
    evaluate: Any = None,
    timings: dict[str, float] | None = None,
    **drive_options: Any,
) -> Fitted:
    """Train every network of ``stack`` on X, Y for ``iterations`` steps (the module docstring).

    ``gradients``: "manual", "reference", or (devices given) a per-shard
    function. ``devices``: None, the default device; a count shards the
    examples (``shallownet.parallel``). ``timings`` receives compile_s and
    run_s; ``evaluate`` (n_x, m_eval): A2 on it after the last iteration.
    ``drive_options``: see ``drive``.
    """
    from .step import run_chunk

    arrays, put, mesh = _placed(stack, X, Y, devices, evaluate)
    static = {"layout": stack.layout, "gradients": gradients, "output": output, "mesh": mesh}
    static["capacity"] = max(1, min(chunk, iterations))
    predictions: list[Any] = []  # A2 on ``evaluate``, from the call that ran the last iteration
    arguments, run = _runner(stack, arrays, put, static, evaluate is not None, predictions)
    start = (put(stack.theta), put(np.ones(stack.count, bool)))
    if timings is not None and iterations > 0:  # ahead of time, apart: jit's cache then serves the calls
        compile_start = time.perf_counter()
        run_chunk.lower(*arguments(start, 0, False), **static).compile()
        timings["compile_s"] = time.perf_counter() - compile_start
    run_start = time.perf_counter()
    end = drive(
        run,
        start,
        iterations=iterations,
        chunk=static["capacity"],
        histories=histories,
        to_host=lambda state: stack.to_host(_host(state[0])),
        **drive_options,
    )
    theta = _host(end.state[0])
    if timings is not None:
        timings["run_s"] = time.perf_counter() - run_start
    A2 = np.asarray(_host(predictions[-1]))[stack.rows] if predictions else None
    steps = np.array([history.done for history in histories]) - drive_options.get("start", 0)
    return Fitted(stack.to_host(theta), steps, ~_host(end.state[1])[stack.rows], A2)
