"""Full-batch gradient descent over either gradient path (manual or reference).

Iterations are grouped in chunks run by ``shallownet.loop.run_chunk`` (one
compiled program); the host shows progress between chunks without a sync
every step, and the cost history comes back as an array.

Every chunk call has the same static arguments (capacity = min(chunk,
iterations): never a buffer larger than the work) and the same argument
types, so a configuration compiles once: not again per chunk, per short last
chunk, or per call. The number of steps of a call is a traced argument: the
host loop may run fewer than ``capacity`` (``chunk_seconds``) without a compile.
"""

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import DTypeLike

import manual
from manual.typing import AnyArray, Params, ParamsLike

from . import signals
from .history import CostHistory
from .loop import GRAD_PATHS, run_chunk

INIT_SCALE = 0.01
Progress = Callable[[int, float], object]  # progress(iterations done, last cost)
# run(params, steps, cost_every, offset) -> (params, costs of the call (capacity,), steps done, all finite)
ChunkRunner = Callable[[Any, int, int, int], tuple[Any, np.ndarray, int, bool]]
Checkpoint = Callable[[int, Any, CostHistory], object]  # checkpoint(iteration, host params, history)


class CostRecord(Protocol):
    """What a Diverged or Interrupted carries as .history: a CostHistory, or anything with .costs."""

    @property
    def costs(self) -> np.ndarray: ...


class Diverged(RuntimeError):
    """The cost or the parameters became non-finite; .params holds the last finite ones.

    .history is the CostHistory up to .iteration (.costs its kept costs).
    """

    def __init__(self, iteration: int, params: ParamsLike, history: CostRecord) -> None:
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

    .params and .history are those of the last finished chunk (.costs the
    history's kept costs); .saved is where a caller stored them (None: not stored).
    .total: the run's iteration target, when known (equal to .iteration: the run had finished).
    """

    def __init__(
        self,
        iteration: int,
        params: Any,  # one network's ParamsLike, or a list of them (many.train_many)
        history: CostRecord,
        saved: Path | None = None,
        signum: int = signal.SIGINT,
        total: int | None = None,
    ) -> None:
        super().__init__(f"interrupted by {signals.name(signum)} after iteration {iteration}")
        self.iteration, self.params, self.history, self.saved = iteration, params, history, saved
        self.signum, self.total = signum, total  # total: the iterations the run was asked for, when known

    @property
    def costs(self) -> np.ndarray:
        return self.history.costs


def init_params(n_x: int, n_h: int, n_y: int, seed: int = 0, init: str = "random") -> dict[str, np.ndarray]:
    """Starting parameters as float64 numpy: W ~ 0.01 N(0, 1), zero biases.

    init="random" draws from numpy's seeded Generator (no JAX compile at
    start-up); init="course" is the course's own draw (legacy seed 2), which
    reproduces its published numbers.
    """
    if init == "course":
        return manual.initialize_parameters(n_x, n_h, n_y)
    if init != "random":
        raise ValueError(f"unknown init {init!r}; choose random or course")
    rng = np.random.default_rng(seed)
    W1 = INIT_SCALE * rng.standard_normal((n_h, n_x))
    W2 = INIT_SCALE * rng.standard_normal((n_y, n_h))
    return {"W1": W1, "b1": np.zeros((n_h, 1)), "W2": W2, "b2": np.zeros((n_y, 1))}


def as_device(x: AnyArray, dtype: DTypeLike) -> jax.Array:
    """x as a JAX array of ``dtype``; host arrays are cast on the host.

    ``jnp.asarray`` would compile a conversion (or a copy) on the device for
    every new shape, each a compile at start-up.
    """
    if isinstance(x, jax.Array):
        return x.astype(dtype)
    return jax.device_put(np.asarray(x, dtype))


def _chunk_kwargs(activation, output, gradients, chunk):
    return {"activation": activation, "output": output, "gradients": gradients, "capacity": chunk}


def check_gradients(gradients: str) -> None:
    """Raise ValueError unless ``gradients`` names a gradient path: "manual" or "reference"."""
    if gradients not in GRAD_PATHS:
        raise ValueError(f"unknown gradient path {gradients!r}; choose {' or '.join(GRAD_PATHS)}")


def check_arguments(
    params: ParamsLike, X: AnyArray, Y: AnyArray, *, activation: str, output: str, iterations: int, chunk: int
) -> None:
    """The checks every training entry point makes before compiling; ValueError names the problem."""
    manual.check_activation(activation)
    manual.checks.check_output(output)
    manual.check_problem(params, X, Y, output)
    if iterations < 0 or chunk < 1:
        raise ValueError("iterations must be >= 0 and chunk >= 1")


def train(
    params: ParamsLike,
    X: AnyArray,
    Y: AnyArray,
    *,
    activation: str = "tanh",
    output: str = "sigmoid",
    gradients: str = "manual",
    lr: float = 1.2,
    iterations: int = 10000,
    chunk: int = 1000,
    dtype: DTypeLike | None = None,
    progress: Progress | None = None,
    start_iteration: int = 0,
    timings: dict[str, float] | None = None,
    **drive_options: Any,
) -> tuple[Params, np.ndarray]:
    """Run ``iterations`` gradient-descent steps; returns (params, costs numpy).

    ``dtype`` (default: that of X) casts data and parameters; float32 trains
    fastest, float64 is the verification dtype. ``progress(done, last_cost)``
    is called between chunks. Raises Diverged (with the last finite params) if
    a step goes non-finite, Interrupted (with the last chunk's params) on
    Ctrl-C. ``start_iteration`` only offsets the iteration numbers reported
    (for resumed runs). A dict given as ``timings`` receives "compile_s" (the
    program compiled ahead of time, apart) and "run_s" (the iterations).
    ``costs`` is every cost of this call, (iterations,), unless a ``history``
    is given (see ``drive``, which takes the other options): then its kept costs.
    """
    check_gradients(gradients)
    check_arguments(params, X, Y, activation=activation, output=output, iterations=iterations, chunk=chunk)
    dtype = jnp.dtype(dtype or X.dtype)
    X, Y = as_device(X, dtype), as_device(Y, dtype)
    device_params = {k: as_device(params[k], dtype) for k in ("W1", "b1", "W2", "b2")}
    learning_rate = np.asarray(lr, dtype)
    capacity = max(1, min(chunk, iterations))
    kwargs = _chunk_kwargs(activation, output, gradients, capacity)
    if timings is not None and iterations > 0:
        # Ahead-of-time compile with the exact argument types of the calls
        # below: jit's cache then serves them, so run_s holds no compile time.
        compile_start = time.perf_counter()
        run_chunk.lower(device_params, X, Y, learning_rate, np.int32(0), np.int32(1), np.int32(0), **kwargs).compile()
        timings["compile_s"] = time.perf_counter() - compile_start
    run_start = time.perf_counter()

    def run(params: Params, steps: int, cost_every: int = 1, offset: int = 0) -> tuple[Params, np.ndarray, int, bool]:
        new, costs, done, ok = run_chunk(
            params, X, Y, learning_rate, np.int32(steps), np.int32(cost_every), np.int32(offset), **kwargs
        )
        # One transfer for the three; slice on the host (slicing the device
        # array would compile a slice per length).
        costs, done, ok = jax.device_get((costs, done, ok))
        return new, costs, int(done), bool(ok)

    trained, costs = drive(
        run,
        device_params,
        iterations=iterations,
        chunk=capacity,
        progress=progress,
        start_iteration=start_iteration,
        dtype=dtype,
        **drive_options,
    )
    jax.block_until_ready(trained)
    if timings is not None:
        timings["run_s"] = time.perf_counter() - run_start
    return trained, costs


GROWTH = 8  # the most a call's step count grows over the previous call's


def next_steps(steps: int, elapsed: float, target: float, capacity: int) -> int:
    """Steps of the next call so that it takes about ``target`` seconds (``steps`` took ``elapsed``)."""
    wanted = int(steps * target / max(elapsed, 1e-9))
    return max(1, min(capacity, GROWTH * steps, wanted))


def drive(
    run: ChunkRunner,
    params: Any,
    *,
    iterations: int,
    chunk: int,
    progress: Progress | None,
    start_iteration: int,
    dtype: DTypeLike,
    to_host: Callable[[Any], Any] = lambda params: params,
    history: CostHistory | None = None,
    checkpoint: Checkpoint | None = None,
    checkpoint_every: float | None = None,
    should_stop: Callable[[], int | None] | None = None,
    chunk_seconds: float | None = None,
) -> tuple[Any, np.ndarray]:
    """The host loop over chunks, shared by ``train`` and ``parallel.train_parallel``.

    ``run(params, n, cost_every, offset) -> (params, costs numpy, steps_done,
    ok)`` runs one compiled chunk of n <= chunk steps; its costs are needed at
    the steps i with (offset + i) % cost_every == 0 (the history's stride) and
    at the last one (see ``loop.descend``). Between chunks:

    - ``progress(done, last_cost)``;
    - ``checkpoint(iteration, host params, history)`` when ``checkpoint_every``
      seconds have passed since the start or the end of the last checkpoint;
    - ``should_stop()``: a signal number stops the run (Interrupted with it).

    ``chunk_seconds``: the step count of each call is adapted so that a call
    takes about that long (starting from one step), so checkpoints and stop
    requests are served on time whatever an iteration costs; None: every call
    runs ``chunk`` steps. ``history`` (a CostHistory ending at start_iteration)
    receives the costs; default: one keeping every cost of this call.
    Raises Diverged or, on Ctrl-C or a stop request, Interrupted with the last
    finished chunk's params (through ``to_host``). Returns (to_host(params), history.costs).
    """
    history = CostHistory(start=start_iteration, dtype=dtype) if history is None else history
    if history.done != start_iteration:
        raise ValueError(f"the history ends at iteration {history.done}, not at the start {start_iteration}")
    steps = chunk if chunk_seconds is None else 1
    last_checkpoint = time.monotonic()
    # (params, iterations done) of the last finished chunk, replaced by one
    # assignment (after the history took its costs) so that Ctrl-C never sees
    # params and history out of step.
    state = (params, 0)
    try:
        while state[1] < iterations:
            params, done = state
            call_start = time.perf_counter()
            stride = history.stride
            new, costs, ran, ok = run(params, min(steps, iterations - done), stride, (start_iteration + done) % stride)
            elapsed = time.perf_counter() - call_start
            history.extend(start_iteration + done, costs[:ran])
            state = (new, done + ran)
            if not ok:
                raise Diverged(start_iteration + state[1], to_host(new), history)
            if progress is not None:
                progress(state[1], float(costs[ran - 1]))
            if chunk_seconds is not None:
                steps = next_steps(ran, elapsed, chunk_seconds, chunk)
            if state[1] < iterations:
                signum = None if should_stop is None else should_stop()
                if signum is not None:
                    raise Interrupted(start_iteration + state[1], to_host(new), history, signum=signum)
                if checkpoint is not None and time.monotonic() - last_checkpoint >= (checkpoint_every or 0.0):
                    checkpoint(start_iteration + state[1], to_host(new), history)
                    last_checkpoint = time.monotonic()
    except KeyboardInterrupt as e:
        if isinstance(e, Interrupted):
            raise
        params, done = state
        if history.done != start_iteration + done:  # between extend and the assignment: keep the chunk
            params, done = new, history.done - start_iteration
        raise Interrupted(
            start_iteration + done, to_host(params), history, signum=getattr(e, "signum", signal.SIGINT)
        ) from None
    return to_host(state[0]), history.costs


def predict(params: ParamsLike, X: AnyArray, activation: str = "tanh", output: str = "sigmoid") -> np.ndarray:
    """Predictions (n_y, m) as numpy: 0/1 (A2 > 0.5) for the sigmoid output, A2 itself for identity."""
    A2, _ = manual.forward(params, as_device(X, params["W1"].dtype), activation, output)
    A2_host = np.asarray(A2)
    return (A2_host > 0.5).astype(np.uint8) if output == "sigmoid" else A2_host


def accuracy(params: ParamsLike, X: AnyArray, Y: AnyArray, activation: str = "tanh", output: str = "sigmoid") -> float:
    """Percent of examples (and output units) where the 0/1 prediction equals Y (sigmoid output)."""
    X = as_device(X, params["W1"].dtype)
    A2, _ = manual.forward(params, X, activation, output)
    return float(100.0 * np.mean((np.asarray(A2) > 0.5) == (np.asarray(Y) > 0.5)))
