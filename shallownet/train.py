"""Full-batch gradient descent over either gradient path (manual or autodiff).

Iterations are grouped in chunks run by ``shallownet.loop.run_chunk`` (one
compiled program); the host shows progress between chunks without a sync
every step, and the cost history comes back as an array.

Every chunk call has the same static arguments (capacity = chunk, whatever the
number of iterations) and the same argument types, so a configuration
compiles once: not again per chunk, per short last chunk, or per call.
"""
import time

import jax
import jax.numpy as jnp
import numpy as np

import manual

from .loop import GRAD_PATHS, run_chunk, value_and_grads_fn  # noqa: F401

INIT_SCALE = 0.01


class Diverged(RuntimeError):
    """The cost or the parameters became non-finite; .params holds the last finite ones."""

    def __init__(self, iteration, params, costs):
        super().__init__(
            f"cost became non-finite at iteration {iteration} (learning rate too large?); "
            "kept the last finite parameters"
        )
        self.iteration, self.params, self.costs = iteration, params, costs


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during training; .params and .costs are those of the last finished chunk.

    .saved is where a caller stored them (None: not stored).
    """

    def __init__(self, iteration, params, costs, saved=None):
        super().__init__(f"interrupted after iteration {iteration}")
        self.iteration, self.params, self.costs, self.saved = iteration, params, costs, saved


def init_params(n_x, n_h, n_y, seed=0, init="random"):
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


def as_device(x, dtype):
    """x as a JAX array of ``dtype``; host arrays are cast on the host.

    ``jnp.asarray`` would compile a conversion (or a copy) on the
    device for every new shape: 0.02-0.07 s each at start-up.
    """
    if isinstance(x, jax.Array):
        return x.astype(dtype)
    return jax.device_put(np.asarray(x, dtype))


def _chunk_kwargs(activation, output, gradients, chunk):
    return {"activation": activation, "output": output, "gradients": gradients, "capacity": chunk}


def check_arguments(params, X, Y, *, activation, output, iterations, chunk):
    """The checks every training entry point makes before compiling; ValueError names the problem."""
    manual.parse_activation(activation)
    if output not in ("sigmoid", "identity"):
        raise ValueError(f"unknown output {output!r}; choose sigmoid or identity")
    manual.check_problem(params, X, Y, output)
    if iterations < 0 or chunk < 1:
        raise ValueError("iterations must be >= 0 and chunk >= 1")


def train(params, X, Y, *, activation="tanh", output="sigmoid", gradients="manual", lr=1.2,
          iterations=10000, chunk=1000, dtype=None, progress=None, start_iteration=0,
          timings=None):
    """Run ``iterations`` gradient-descent steps; returns (params, costs (iterations,) numpy).

    ``dtype`` (default: that of X) casts data and parameters; float32 trains
    fastest, float64 is the verification dtype. ``progress(done, last_cost)``
    is called between chunks. Raises Diverged (with the last finite params) if
    a step goes non-finite, Interrupted (with the last chunk's params) on
    Ctrl-C. ``start_iteration`` only offsets the iteration numbers reported
    (for resumed runs). A dict given as ``timings`` receives "compile_s" (the
    program compiled ahead of time, apart) and "run_s" (the iterations).
    """
    value_and_grads_fn(gradients)
    check_arguments(params, X, Y, activation=activation, output=output, iterations=iterations, chunk=chunk)
    dtype = jnp.dtype(dtype or X.dtype)
    X, Y = as_device(X, dtype), as_device(Y, dtype)
    params = {k: as_device(params[k], dtype) for k in ("W1", "b1", "W2", "b2")}
    lr = np.asarray(lr, dtype)
    kwargs = _chunk_kwargs(activation, output, gradients, chunk)
    if timings is not None:
        # Ahead-of-time compile with the exact argument types of the calls
        # below: jit's cache then serves them, so run_s holds no compile time.
        t0 = time.perf_counter()
        run_chunk.lower(params, X, Y, lr, np.int32(0), **kwargs).compile()
        timings["compile_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()

    def run(p, n):
        new, costs, steps, ok = run_chunk(p, X, Y, lr, np.int32(n), **kwargs)
        # One transfer for the three; slice on the host (slicing the device
        # array would compile a slice per length).
        costs, steps, ok = jax.device_get((costs, steps, ok))
        return new, costs, int(steps), bool(ok)

    params, costs = drive(run, params, iterations=iterations, chunk=chunk, progress=progress,
                          start_iteration=start_iteration, dtype=dtype)
    jax.block_until_ready(params)
    if timings is not None:
        timings["run_s"] = time.perf_counter() - t0
    return params, costs


def drive(run, params, *, iterations, chunk, progress, start_iteration, dtype, to_host=lambda p: p):
    """The host loop over chunks, shared by ``train`` and ``parallel.train_parallel``.

    ``run(params, n) -> (params, costs numpy, steps_done, ok)`` runs one
    compiled chunk. Calls ``progress(done, last_cost)`` between chunks; raises
    Diverged or, on Ctrl-C, Interrupted with the last finished chunk's params
    (through ``to_host``) and costs. Returns (to_host(params), costs (iterations,)).
    """
    def joined(history):
        return np.concatenate(history) if history else np.zeros((0,), dtype)

    # (params, iterations done, cost arrays) of the last finished chunk, replaced
    # by one assignment so that Ctrl-C never sees params and costs out of step.
    state = (params, 0, [])
    try:
        while state[1] < iterations:
            params, done, history = state
            new, costs, steps, ok = run(params, min(chunk, iterations - done))
            state = (new, done + steps, history + [costs[:steps]])
            if not ok:
                raise Diverged(start_iteration + state[1], to_host(new), joined(state[2]))
            if progress is not None:
                progress(state[1], float(costs[steps - 1]))
    except KeyboardInterrupt:
        params, done, history = state
        raise Interrupted(start_iteration + done, to_host(params), joined(history)) from None
    return to_host(state[0]), joined(state[2])


def predict(params, X, activation="tanh", output="sigmoid"):
    """Predictions (n_y, m) as numpy: 0/1 (A2 > 0.5) for the sigmoid output, A2 itself for identity."""
    X = as_device(X, params["W1"].dtype)
    A2, _ = manual.forward(params, X, activation, output)
    A2 = np.asarray(A2)
    return (A2 > 0.5).astype(np.uint8) if output == "sigmoid" else A2


def accuracy(params, X, Y, activation="tanh", output="sigmoid"):
    """Percent of examples (and output units) where the 0/1 prediction equals Y (sigmoid output)."""
    X = as_device(X, params["W1"].dtype)
    A2, _ = manual.forward(params, X, activation, output)
    return float(100.0 * np.mean((np.asarray(A2) > 0.5) == (np.asarray(Y) > 0.5)))
