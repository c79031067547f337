"""The one host loop: a stack of networks trained in compiled chunks, with progress, checkpoints and stops.

``fit(stack, X, Y, ...)`` places the data and the stack on one device (or shards the examples,
``shallownet.parallel``), compiles the one step (``step.run_chunk``) ahead of time, once (XLA's
compile runs apart, ``shallownet.phases``: shown on a terminal, and a stop request raises
``Interrupted`` at once), then calls it chunk after chunk through ``drive``. ``drive`` is the loop
itself, written against a plain ``run`` function so that it is tested without JAX. Between chunks
it extends each network's ``CostHistory``, calls ``progress(done, last costs (N,))``, calls
``checkpoint(iteration, host params, histories)`` every ``checkpoint_every`` seconds, and asks
``should_stop()``: a signal number raises ``Interrupted`` (as Ctrl-C does) with the last finished
chunk. ``chunk_seconds``: each call's step count adapts so that it takes about that long.
"""

import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from . import phases, signals
from .history import CostHistory, stride_for
from .stack import HostParams, Stack

GROWTH = 8  # the most a call's step count grows over the previous call's
COMPILING = "compiling the training program (XLA)"  # what a terminal shows during the compile
# Skipping J where the history keeps none pays for its cond's compile (0.1-0.3 s cold) from about this many
# example-iterations of the loss (3-8 ns each on a CPU core): not the course's run (4e6) or table (1.4e7); and for
# stacks of a few networks: measured on 2 cores, the loop took 7-42% less time for 1-8 networks but 12-13% more
# for the 7 sizes x 8 seeds sweep (56 networks), its whole command 6% more cold (docs/benchmarks.md).
SKIP_COSTS_FROM, SKIP_COSTS_NETWORKS = 5e7, 8
# run(state, steps, last) -> (state, costs (steps, N), steps taken (N,), alive (N,)), numpy but the state
ChunkRunner = Callable[[Any, int, bool], tuple[Any, np.ndarray, np.ndarray, np.ndarray]]
StackProgress = Callable[[int, np.ndarray], object]  # progress(iterations done, last costs (N,))


class Diverged(RuntimeError):
    """A single run's cost or parameters became non-finite; .params holds the last finite ones,
    .history the CostHistory up to .iteration (.costs its kept costs)."""

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

    .params and .history are those of the last finished chunk (one network's, or a list per
    network); .saved is where a caller stored them (None: not stored); .total: the run's target.
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
        return stacked_costs(self.history) if isinstance(self.history, list) else self.history.costs


def stacked_costs(histories: Sequence[CostHistory]) -> np.ndarray:
    """(N, K): each history's kept costs, NaN after a network's last, K the longest."""
    rows = [history.costs for history in histories]
    dtype = rows[0].dtype if rows and np.issubdtype(rows[0].dtype, np.floating) else np.float64
    out = np.full((len(rows), max((row.shape[0] for row in rows), default=0)), np.nan, dtype)
    for k, row in enumerate(rows):
        out[k, : row.shape[0]] = row
    return out


def next_steps(steps: int, elapsed: float, target: float, capacity: int) -> int:
    """Steps of the next call so that it takes about ``target`` seconds (``steps`` took ``elapsed``)."""
    return max(1, min(capacity, GROWTH * steps, int(steps * target / max(elapsed, 1e-9))))


def last_costs(histories: Sequence[CostHistory]) -> np.ndarray:
    return np.array([np.nan if h.last_cost is None else h.last_cost for h in histories])


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

    ``histories`` (one per network, each ending at ``start``) receive the costs. Stops early once no
    network is alive. Raises Interrupted (the last finished chunk, through ``to_host``) on Ctrl-C or a
    stop request.
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
                for history, ran, column in zip(histories, taken, costs.T):
                    if ran > 0:
                        history.extend(start + now.done, column[: int(ran)])
                now = Loop(new, now.done + n, alive)
            if progress is not None:
                progress(now.done, last_costs(histories))
            steps = steps if chunk_seconds is None else next_steps(n, elapsed, chunk_seconds, chunk)
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
    """(run_chunk's data arguments, put, mesh): on the default device (devices None), or the examples
    sharded over a mesh of ``devices`` devices (scalars replicated)."""
    import jax

    from . import parallel

    X, Y = np.asarray(X, stack.dtype), np.asarray(Y, stack.dtype)
    X_eval = np.zeros((X.shape[0], 0), stack.dtype) if evaluate is None else np.asarray(evaluate, stack.dtype)
    if devices is None:
        mesh, put = None, jax.device_put
        data = {"X": put(X), "Y": put(Y), "columns": put(np.zeros((1, 0), stack.dtype))}
    else:
        mesh = parallel.data_mesh(devices)
        put = partial(parallel.put, mesh=mesh)
        padded = zip(("X", "Y", "columns"), parallel.pad_examples(X, Y, devices))
        data = {name: parallel.put(a, mesh, columns=True) for name, a in padded}
    data.update(lr=put(stack.lr), mask=put(stack.mask), X_eval=put(X_eval))
    return {**data, "m": put(np.asarray(X.shape[1], stack.dtype))}, put, mesh


def _runner(
    stack: Stack,
    data: dict[str, Any],
    put: Callable,
    sharded: bool,
    evaluate: bool,
    histories: Sequence[CostHistory],
    predictions: list,
) -> tuple[Callable, Callable[[Callable], ChunkRunner]]:
    """(arguments(state, n, last, stride, offset): run_chunk's arguments, runner(compiled): drive's
    ChunkRunner). Scalars go as numpy on one device (transferred with the call), placed on a mesh."""

    def arguments(state: tuple[Any, Any], n: int, last: bool, stride: int, offset: int) -> tuple[Any, ...]:
        counts = {"n": n, "stride": stride, "offset": offset}
        call = {**{k: np.asarray(v, np.int32) for k, v in counts.items()}, "evaluate": np.asarray(last and evaluate)}
        return (*state, data, {k: put(v) for k, v in call.items()} if sharded else call)

    def runner(compiled: Callable) -> ChunkRunner:
        def run(state: tuple[Any, Any], n: int, last: bool) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
            # J where the histories keep it at the call's end (the points thinned away on the way need
            # none); a step without J gone non-finite: again with J at every step.
            first = max(h.done for h in histories)
            stride = min(stride_for(h.start, first + n, h.limit, h.stride) for h in histories)
            out = compiled(*arguments(state, n, last, stride, first % stride))
            if bool(_host(out[5])):
                out = compiled(*arguments(state, n, last, 1, 0))
            theta, costs, taken, alive, A2, _ = out
            if last and evaluate:
                predictions.append(A2)
            rows = stack.rows  # the device's rows are in layout order; the histories in the order given
            return (theta, alive), _host(costs)[:n, rows], _host(taken)[rows], _host(alive)[rows]

        return run

    return arguments, runner


def _compiled(arguments: tuple[Any, ...], static: dict[str, Any], should_stop: Any, timings: Any) -> Callable:
    """run_chunk compiled ahead of time for ``arguments``: the one program every chunk then calls.

    Traced and lowered in the caller's thread (a ``jax.enable_x64`` block applies); XLA's compile
    (or its load from the persistent cache) runs in ``phases.wait``. ``timings`` receives compile_s.
    """
    from .step import run_chunk

    started = time.perf_counter()
    lowered = run_chunk.lower(*arguments, **static)
    signum = None if should_stop is None else should_stop()
    if signum is not None:
        raise signals.Stop(signum)
    compiled = phases.wait(lowered.compile, label=COMPILING, should_stop=should_stop)
    if timings is not None:
        timings["compile_s"] = time.perf_counter() - started
    return compiled


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

    ``gradients``: "manual", "reference", or (devices given) a per-shard function. ``devices``:
    None, the default device; a count shards the examples. ``timings`` receives compile_s and run_s;
    ``evaluate`` (n_x, m_eval): A2 on it after the last iteration. ``drive_options``: see ``drive``.
    """
    data, put, mesh = _placed(stack, X, Y, devices, evaluate)
    capacity = max(1, min(chunk, iterations))
    static = {"layout": stack.layout, "gradients": gradients, "output": output, "mesh": mesh, "capacity": capacity}
    predictions: list[Any] = []  # A2 on ``evaluate``, from the call that ran the last iteration
    arguments, runner = _runner(stack, data, put, mesh is not None, evaluate is not None, histories, predictions)
    begin = drive_options.get("start", 0)
    strides = [stride_for(h.start, begin + iterations, h.limit, h.stride) for h in histories]
    work = iterations * stack.count * np.shape(X)[1]  # example-iterations of the loss at every step
    few = stack.count <= SKIP_COSTS_NETWORKS
    static["skip_costs"] = max(strides) > 1 and work >= SKIP_COSTS_FROM and few  # else no cond to compile
    start = (put(stack.theta), put(np.ones(stack.count, bool)))
    try:
        compiled = _compiled(arguments(start, 0, False, 1, 0), static, drive_options.get("should_stop"), timings)
    except KeyboardInterrupt as e:  # a stop request during the compile: nothing has run
        signum = getattr(e, "signum", signal.SIGINT)
        total = begin + iterations
        raise Interrupted(begin, stack.to_host(stack.theta), histories, signum=signum, total=total) from None
    run_start = time.perf_counter()
    to_host = lambda state: stack.to_host(_host(state[0]))  # noqa: E731
    end = drive(
        runner(compiled),
        start,
        iterations=iterations,
        chunk=capacity,
        histories=histories,
        to_host=to_host,
        **drive_options,
    )
    if timings is not None:
        timings["run_s"] = time.perf_counter() - run_start
    A2 = _host(predictions[-1])[stack.rows] if predictions else None
    steps = np.array([history.done for history in histories]) - begin
    return Fitted(to_host(end.state), steps, ~_host(end.state[1])[stack.rows], A2)
