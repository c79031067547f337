"""Benchmark: the course's numpy loop against the compiled JAX loops, alternating within one run.

One run measures, side by side on the same data and starting parameters:

  (a) numpy    - the course's loop written as the course writes it (np.dot,
                 np.tanh, cost every iteration), float64: what a student has.
                 It runs in two long-lived subprocesses, one as is and one with
                 MALLOC_TOP_PAD_=100000000 ("tuned numpy": glibc then keeps freed
                 temporaries instead of returning them to the OS every
                 iteration; at n_h = 50 most of the plain loop's time is page
                 faults). Each repeat is one request to the subprocess, which
                 times the loop itself (no process start-up in the figure).
  (b) manual   - the whole loop in one compiled program (shallownet.step.run_chunk),
                 hand-derived gradients;
  (c) autodiff - the same program with jax.grad gradients;
  (d) per-step - one jitted step (manual gradients), called from a Python loop;
  and for the sweeps (many networks on one data set):
  (e) numpy, the same trainings one after another;
  (f) one at a time - shallownet.train.train for each network in turn;
  (g) all at once   - shallownet.train.train_many, every network in one program.

Repeats alternate: each repeat runs every contender once, numpy included, so
a change in the machine's load weighs on all of them alike. Reported: the
median, min/max and the interquartile range of the repeats; compile time
apart. Ratios are numpy time / our time within the same run.

The machine's state is recorded per workload: the load average before and
after, the CPU model, and the CPU time other processes used while it ran
(from /proc/stat, minus this benchmark's own processes). A workload is marked
"loaded" (and a warning printed) when the 1-minute load average exceeded
LOADED_LOAD when the run started, or other processes used more than
LOADED_OTHERS cores on average while it ran: its ratios are then not
quiet-machine figures. (Once the benchmark runs, the load average counts its
own processes, so it is judged at the start only.)

For the large workload a roofline row: FLOPs and bytes moved per iteration
(the model is in ``bytes_per_iteration``), the GEMM rate and the memory
bandwidth measured in the same run, the bound they imply (the larger of
FLOPs / rate and bytes / bandwidth) and achieved / bound.

    python benchmarks/bench.py                       # everything (long), writes benchmarks/results.json
    python benchmarks/bench.py --quick               # small sizes, one repeat: a smoke run
    python benchmarks/bench.py --workloads course wide --dtypes float32 --sweeps
    python benchmarks/bench.py --sweeps course_table sizes_x_seeds   # those sweeps only
    python benchmarks/bench.py --gpu                 # adds one network vs 10,000 at once on a GPU, if present
    python benchmarks/bench.py --table benchmarks/results.json   # print the tables of a results file
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the tree this script belongs to, not an installed copy

# name: (m, n_x, n_h, iterations, lr). "flower" data for m = 400, n_x = 2.
WORKLOADS = {
    "course": dict(m=400, n_x=2, n_h=4, iterations=10_000, lr=1.2),
    "wide": dict(m=400, n_x=2, n_h=50, iterations=10_000, lr=1.2),
    "large": dict(m=200_000, n_x=64, n_h=256, iterations=10, lr=0.5),  # numpy: ~1.5 s per iteration
}
QUICK = {
    "course": dict(m=400, n_x=2, n_h=4, iterations=300, lr=1.2),
    "wide": dict(m=400, n_x=2, n_h=50, iterations=300, lr=1.2),
    "large": dict(m=4_000, n_x=16, n_h=32, iterations=5, lr=0.5),
}
COURSE_SIZES = [1, 2, 3, 4, 5, 20, 50]
# Sweeps on the flower data: hidden sizes, seeds (None: the course's init), iterations, dtype.
SWEEPS = {
    "course_table": dict(sizes=COURSE_SIZES, seeds=None, iterations=5000, dtype="float64"),
    "sizes_x_seeds": dict(sizes=COURSE_SIZES, seeds=8, iterations=5000, dtype="float32"),
    "same_64": dict(sizes=[4], seeds=64, iterations=5000, dtype="float32"),
}
QUICK_SWEEPS = {
    "course_table": dict(sizes=COURSE_SIZES, seeds=None, iterations=200, dtype="float64"),
    "sizes_x_seeds": dict(sizes=COURSE_SIZES, seeds=2, iterations=200, dtype="float32"),
    "same_64": dict(sizes=[4], seeds=8, iterations=200, dtype="float32"),
}
# Whole commands (`shallownet sweep --no-plots`, a fresh process each) against a numpy script: the two sweep
# targets of issue 11 (the course's table, float64; 7 sizes x 8 seeds, float32).
COMMANDS = ("course_table", "sizes_x_seeds")
GPU_NETWORKS, GPU_ITERATIONS, QUICK_GPU = 10_000, 2000, (100, 100)
PATHS = ("manual", "reference", "manual_every_cost", "per_step")
MALLOC_TUNED = {"MALLOC_TOP_PAD_": "100000000"}
LOADED_LOAD, LOADED_OTHERS = 0.3, 0.1
RUN = {"start_load": None}  # the load average when main() started, before this benchmark ran anything


# ---------------------------------------------------------------- (a) numpy


def numpy_course_loop(X, Y, W1, b1, W2, b2, learning_rate, num_iterations):
    """The course's nn_model loop in plain numpy (tanh hidden, sigmoid output): returns the costs."""
    m = X.shape[1]
    costs = []
    for _i in range(num_iterations):
        # forward_propagation
        Z1 = np.dot(W1, X) + b1
        A1 = np.tanh(Z1)
        Z2 = np.dot(W2, A1) + b2
        A2 = 1 / (1 + np.exp(-Z2))
        # compute_cost
        logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
        cost = float(np.squeeze(-np.sum(logprobs) / m))
        costs.append(cost)
        # backward_propagation
        dZ2 = A2 - Y
        dW2 = np.dot(dZ2, A1.T) / m
        db2 = np.sum(dZ2, axis=1, keepdims=True) / m
        dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
        dW1 = np.dot(dZ1, X.T) / m
        db1 = np.sum(dZ1, axis=1, keepdims=True) / m
        # update_parameters
        W1 = W1 - learning_rate * dW1
        b1 = b1 - learning_rate * db1
        W2 = W2 - learning_rate * dW2
        b2 = b2 - learning_rate * db2
    return costs


def save_problem(path, X, Y, networks, lr, iterations):
    """One .npz for the numpy worker: X, Y and every network's starting parameters (W1_0, b1_0, ...)."""
    arrays = {f"{k}_{i}": v for i, p in enumerate(networks) for k, v in p.items()}
    np.savez(path, X=X, Y=Y, lr=lr, iterations=iterations, count=len(networks), **arrays)


def numpy_worker(problem_path):
    """Subprocess entry: load the problem, then answer each "run" line on stdin with one timed pass (JSON)."""
    d = np.load(problem_path)
    X, Y, lr, iterations = d["X"], d["Y"], float(d["lr"]), int(d["iterations"])
    networks = [[d[f"{k}_{i}"] for k in ("W1", "b1", "W2", "b2")] for i in range(int(d["count"]))]
    numpy_course_loop(X, Y, *networks[0], lr, max(1, min(iterations, 20)))  # warm-up: BLAS threads, caches
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        t0 = time.perf_counter()
        finals = [numpy_course_loop(X, Y, *p, lr, iterations)[-1] for p in networks]
        print(json.dumps({"time": time.perf_counter() - t0, "final_costs": finals}), flush=True)


class NumpyWorker:
    """A long-lived numpy subprocess: ``run()`` times one pass over its trainings (seconds, as it measured)."""

    def __init__(self, problem_path, env_extra):
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--numpy-worker", str(problem_path)],
            env=dict(os.environ, **env_extra),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._read()
        self.final_costs = None

    def _read(self):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the numpy worker ended without an answer")
        return json.loads(line)

    def run(self):
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        answer = self._read()
        self.final_costs = answer["final_costs"]
        return answer["time"]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


# ---------------------------------------------------------------- timing and the machine's state


def spread(times):
    """median, min, max, q1, q3 of a list of seconds, and the list itself."""
    t = np.asarray(times, np.float64)
    q1, median, q3 = np.percentile(t, [25, 50, 75])
    return {
        "median": float(median),
        "min": float(t.min()),
        "max": float(t.max()),
        "q1": float(q1),
        "q3": float(q3),
        "times": [float(v) for v in t],
    }


def alternate(contenders, repeats):
    """Run each contender once per repeat, in turn; ``contenders[name]()`` returns its own seconds."""
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():
            times[name].append(run())
    return {name: spread(t) for name, t in times.items()}


def timed(fn):
    """A contender timing ``fn()`` (its outputs waited for) with perf_counter."""
    import jax

    def run():
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        return time.perf_counter() - t0

    return run


def load_avg():
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def _busy_ticks():
    """Busy clock ticks of all CPUs since boot (user nice system irq softirq steal), or None."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    values = [int(v) for v in fields]
    return values[0] + values[1] + values[2] + values[5] + values[6] + (values[7] if len(values) > 7 else 0)


def _process_ticks(pid):
    """utime + stime (+ reaped children) of one process, in clock ticks; 0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat[stat.rindex(")") + 2 :].split()
    return sum(int(v) for v in fields[11:15])


class MachineWatch:
    """Load average and the CPU time of other processes over a stretch of the benchmark.

    The benchmark's own time is this process's, with its reaped children's: ``stop()`` comes after the
    stretch's numpy workers and commands have ended and been waited for, so all of their CPU time
    (start-up and warm-up included) is in this process's children's time by then.
    """

    def __init__(self):
        self.load_before = load_avg()
        self.t0 = time.perf_counter()
        self.busy0 = _busy_ticks()
        self.ours0 = _process_ticks(os.getpid())

    def stop(self):
        elapsed = time.perf_counter() - self.t0
        load_after = load_avg()
        state = {"load_avg_before": self.load_before, "load_avg_after": load_after, "others_cpu_cores": None}
        busy1 = _busy_ticks()
        if busy1 is not None and self.busy0 is not None and elapsed > 0:
            hz = os.sysconf("SC_CLK_TCK")
            ours = _process_ticks(os.getpid()) - self.ours0
            state["others_cpu_cores"] = max(0.0, (busy1 - self.busy0 - ours) / hz / elapsed)
        start = RUN["start_load"] if RUN["start_load"] is not None else self.load_before
        state["loaded"], state["loaded_because"] = assess(start, state["others_cpu_cores"])
        return state


def assess(start_load, others_cpu_cores):
    """(loaded, reasons) for one part of a run.

    The load average counts this benchmark's own processes as soon as it runs (one workload lifts it above 1
    on 2 cores), so it says whether the machine was quiet only when the run starts; during the run the CPU
    time of other processes is the measure.
    """
    reasons = []
    if start_load is not None and start_load[0] > LOADED_LOAD:
        reasons.append(f"1-min load average {start_load[0]:.2f} when the run started (> {LOADED_LOAD})")
    if others_cpu_cores is not None and others_cpu_cores > LOADED_OTHERS:
        reasons.append(f"other processes used {others_cpu_cores:.2f} cores (> {LOADED_OTHERS})")
    return bool(reasons), reasons


def warn_if_loaded(name, state, log):
    if state["loaded"]:
        log(
            f"WARNING [{name}] the machine was not quiet: {'; '.join(state['loaded_because'])}. "
            "Its ratios are marked 'loaded' and are not quiet-machine figures."
        )


# ---------------------------------------------------------------- problems


def make_problem(m, n_x, n_h, seed=0):
    """X (n_x, m), Y (1, m) float64 and starting params: flower for m=400, n_x=2, else a random teacher."""
    from shallownet.data import flower

    rng = np.random.default_rng(seed)
    if (m, n_x) == (400, 2):
        X, Y = flower()
        Y = Y.astype(np.float64)
    else:
        X = rng.standard_normal((n_x, m))
        teacher = np.tanh(rng.standard_normal((8, n_x)) @ X).sum(axis=0, keepdims=True)
        Y = (teacher > 0).astype(np.float64)
    params = {
        "W1": 0.01 * rng.standard_normal((n_h, n_x)),
        "b1": np.zeros((n_h, 1)),
        "W2": 0.01 * rng.standard_normal((1, n_h)),
        "b2": np.zeros((1, 1)),
    }
    return X, Y, params


def matmul_flops(m, n_x, n_h, n_y=1):
    """Multiply-adds x 2 of one iteration's matrix products: W1 X and dZ1 X^T (2 n_h n_x m each),
    W2 A1, dZ2 A1^T, W2^T dZ2 (2 n_y n_h m each)."""
    return 4 * n_h * n_x * m + 6 * n_y * n_h * m


def bytes_per_iteration(m, n_x, n_h, itemsize, n_y=1):
    """Bytes an iteration must move between memory and the cores, at the least, when its arrays do not fit in cache.

    X is read twice (W1 X, then dZ1 X^T). The (n_h, m) activations: Z1 = W1 X + b1
    is written by the matrix product and read by tanh, which writes A1; A1 is read
    by W2 A1, by dZ2 A1^T and by the backward element-wise pass, which writes dZ1;
    dZ1 is read by dZ1 X^T (with db1 in the same pass): 8 passes. The (n_y, m)
    output arrays (Z2, A2 / dZ2) are written and read once each: 4 passes.
    """
    return itemsize * (2 * n_x * m + 8 * n_h * m + 4 * n_y * m)


# ---------------------------------------------------------------- (b)-(d): one network


def cli_cost_stride(iterations):
    """The stride a run of ``iterations`` keeps its cost at, in the end (shallownet.history, LIMIT points)."""
    from shallownet.history import LIMIT

    stride = 1
    while -(-iterations // stride) > LIMIT:
        stride *= 2
    return stride


def jax_contenders(X, Y, params, dtype, lr, iterations):
    """The compiled loops (manual, autodiff) and per-step jit.

    The loops run all iterations in one call of ``shallownet.step.run_chunk``
    (the one step of every command: a stack of one, the cost at every step).
    "manual_every_cost" is the same manual program (kept so the table's columns stay).
    Returns (contenders, compile_s, final costs).
    """
    import jax

    import manual
    from shallownet import step
    from shallownet.stack import Stack

    stack = Stack([params], X.shape[0], Y.shape[0], X.shape[1], lr=lr, activation="tanh", dtype=dtype, buckets="exact")
    put = jax.device_put
    args = [put(stack.theta), put(np.ones(1, bool)), put(X.astype(dtype)), put(Y.astype(dtype)), put(stack.lr)]
    args += [put(stack.mask), put(np.int32(iterations)), put(np.zeros((X.shape[0], 0), dtype)), put(np.asarray(False))]
    args += [put(np.zeros((1, 0), dtype)), put(np.asarray(X.shape[1], dtype))]
    contenders, compile_s, finals = {}, {}, {}
    for name, gradients in (("manual", "manual"), ("reference", "reference"), ("manual_every_cost", "manual")):
        kw = dict(layout=stack.layout, gradients=gradients, output="sigmoid", capacity=iterations, mesh=None)
        t0 = time.perf_counter()
        compiled = step.run_chunk.lower(*args, **kw).compile()
        compile_s[name] = time.perf_counter() - t0
        _, costs, steps, alive, _ = compiled(*args)  # also the warm-up
        if not (bool(alive[0]) and int(steps[0]) == iterations):
            raise RuntimeError(f"{name} loop stopped early (diverged?) at step {int(steps[0])}")
        finals[name] = float(costs[iterations - 1, 0])
        contenders[name] = timed(lambda c=compiled: c(*args))

    Xd, Yd = put(X.astype(dtype)), put(Y.astype(dtype))
    p0 = {k: put(np.asarray(v, dtype)) for k, v in params.items()}
    lr_ = np.asarray(lr, dtype)

    def one_step(p):
        J, g = manual.value_and_grads_unchecked(p, Xd, Yd, "tanh", "sigmoid")
        return {k: p[k] - lr_ * g["d" + k] for k in p}, J

    t0 = time.perf_counter()
    one = jax.jit(one_step).lower(p0).compile()
    compile_s["per_step"] = time.perf_counter() - t0

    def python_loop():
        p, costs = p0, []
        for _ in range(iterations):
            p, J = one(p)
            costs.append(J)  # kept on the device: no host sync per step
        return p, costs

    jax.block_until_ready(python_loop())
    contenders["per_step"] = timed(python_loop)
    return contenders, compile_s, finals


def train_contender(X, Y, params, dtype, lr, iterations):
    """shallownet.train.train as ``shallownet train`` calls it: bounded history, calls of about 0.5 s."""
    from shallownet.experiment import CHUNK_SECONDS
    from shallownet.history import LIMIT, CostHistory
    from shallownet.train import train

    def run():
        return train(
            params,
            X,
            Y,
            activation="tanh",
            gradients="manual",
            lr=lr,
            iterations=iterations,
            dtype=dtype,
            history=CostHistory(LIMIT),
            chunk_seconds=CHUNK_SECONDS,
        )[0]

    t0 = time.perf_counter()
    run()
    return timed(run), time.perf_counter() - t0


def matmul_rate(shape_a, shape_b, dtype, repeats=5):
    """GFLOP/s of a jitted jnp.dot of the given shapes (inputs on the device, median)."""
    import jax
    import jax.numpy as jnp

    dt = jnp.dtype(dtype)
    rng = np.random.default_rng(1)
    a = jax.device_put(rng.standard_normal(shape_a).astype(dt))
    b = jax.device_put(rng.standard_normal(shape_b).astype(dt))
    f = jax.jit(jnp.dot).lower(a, b).compile()
    s = alternate({"dot": timed(lambda: f(a, b))}, repeats)["dot"]["median"]
    return 2 * shape_a[0] * shape_a[1] * shape_b[1] / s / 1e9


def memory_bandwidth(nbytes, dtype, repeats=5):
    """GB/s of a jitted y = 1.0001 x over an array of ``nbytes`` (read once, written once), median."""
    import jax
    import jax.numpy as jnp

    dt = jnp.dtype(dtype)
    x = jax.device_put(np.ones(nbytes // dt.itemsize, dt))
    f = jax.jit(lambda v: v * dt.type(1.0001)).lower(x).compile()
    s = alternate({"scale": timed(lambda: f(x))}, repeats)["scale"]["median"]
    return 2 * x.size * dt.itemsize / s / 1e9


def elementwise_floor(m, n_h, dtype, repeats=5):
    """Seconds per iteration of the two element-wise passes over the (n_h, m) activations that any
    implementation makes: A1 = tanh(Z1 + b1) and dZ1 = (W2^T dZ2) * (1 - A1^2), each jitted alone."""
    import jax
    import jax.numpy as jnp

    dt = jnp.dtype(dtype)
    rng = np.random.default_rng(2)
    Z1 = jax.device_put(rng.standard_normal((n_h, m)).astype(dt))
    b1 = jax.device_put(rng.standard_normal((n_h, 1)).astype(dt))
    w2 = jax.device_put(rng.standard_normal((n_h, 1)).astype(dt))
    dZ2 = jax.device_put(rng.standard_normal((1, m)).astype(dt))
    fwd = jax.jit(lambda z, b: jnp.tanh(z + b)).lower(Z1, b1).compile()
    bwd = jax.jit(lambda w, d, a: (w * d) * (1 - a * a)).lower(w2, dZ2, Z1).compile()
    times = alternate({"fwd": timed(lambda: fwd(Z1, b1)), "bwd": timed(lambda: bwd(w2, dZ2, Z1))}, repeats)
    return times["fwd"]["median"] + times["bwd"]["median"]


def roofline(spec, dtype, manual_s_per_iter, quick):
    """FLOPs and bytes per iteration, measured GEMM rate and bandwidth, the bound, achieved / bound."""
    import jax.numpy as jnp

    m, n_x, n_h = spec["m"], spec["n_x"], spec["n_h"]
    square = 256 if quick else 2048
    gflops = matmul_rate((square, square), (square, square), dtype)
    gbs = memory_bandwidth((16 if quick else 256) * 2**20, dtype)
    flops = matmul_flops(m, n_x, n_h)
    nbytes = bytes_per_iteration(m, n_x, n_h, jnp.dtype(dtype).itemsize)
    compute_s, memory_s = flops / (gflops * 1e9), nbytes / (gbs * 1e9)
    bound = max(compute_s, memory_s)
    return {
        "flops_per_iter": flops,
        "bytes_per_iter": nbytes,
        "gemm_gflops": gflops,
        "gemm_square_n": square,
        "bandwidth_gbs": gbs,
        "compute_bound_s": compute_s,
        "memory_bound_s": memory_s,
        "bound_s": bound,
        "bound_by": "compute" if compute_s >= memory_s else "memory",
        "achieved_s": manual_s_per_iter,
        "achieved_over_bound": manual_s_per_iter / bound,
    }


# ---------------------------------------------------------------- driver: one-network workloads


def machine_info():
    import jax
    import jaxlib

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    dev = jax.devices()[0]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "backend": jax.default_backend(),
        "device": getattr(dev, "device_kind", str(dev)),
        "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
    }


def run_workload(name, spec, dtypes, repeats, tmpdir, log, quick=False):
    """numpy (plain, tuned) and every dtype's compiled contenders, alternating in one series of repeats.

    numpy computes in float64 whatever the JAX dtype, so it runs once per
    repeat for all dtypes (the large workload's numpy takes most of a run).
    """
    watch = MachineWatch()
    X, Y, params = make_problem(spec["m"], spec["n_x"], spec["n_h"])
    problem = Path(tmpdir) / f"{name}.npz"
    save_problem(problem, X, Y, [params], spec["lr"], spec["iterations"])
    workers = {"numpy": NumpyWorker(problem, {}), "numpy_tuned": NumpyWorker(problem, MALLOC_TUNED)}
    row = {
        "workload": name,
        **spec,
        "by_dtype": {},
        "matmul_flops_per_iter": matmul_flops(spec["m"], spec["n_x"], spec["n_h"]),
    }
    try:
        log(
            f"[{name}] {', '.join(dtypes)}: numpy (plain, tuned malloc), compiled loops, per-step jit, train() "
            f"alternating, {repeats} repeats ..."
        )
        contenders, compile_s, finals, first_calls = {k: w.run for k, w in workers.items()}, {}, {}, {}
        for dtype in dtypes:
            found, compile_s[dtype], finals[dtype] = jax_contenders(X, Y, params, dtype, spec["lr"], spec["iterations"])
            if name in ("course", "wide"):
                found["train"], first_calls[dtype] = train_contender(
                    X, Y, params, dtype, spec["lr"], spec["iterations"]
                )
            contenders.update({(dtype, k): f for k, f in found.items()})
        times = alternate(contenders, repeats)
        numpy_s, tuned_s = times["numpy"]["median"], times["numpy_tuned"]["median"]
        for dtype in dtypes:
            paths = {}
            for p in PATHS:
                t = times[(dtype, p)]
                r = {"compile_s": compile_s[dtype][p], "run_s": t["median"], "spread": t}
                r["us_per_iter"] = r["run_s"] / spec["iterations"] * 1e6
                r["speedup_vs_numpy"] = numpy_s / r["run_s"]
                r["speedup_vs_tuned_numpy"] = tuned_s / r["run_s"]
                r["gflops"] = row["matmul_flops_per_iter"] * spec["iterations"] / r["run_s"] / 1e9
                if p in finals[dtype]:
                    r["final_cost"] = finals[dtype][p]
                paths[p] = r
            d = {
                "paths": paths,
                "numpy": times["numpy"],
                "numpy_tuned": times["numpy_tuned"],
                "autodiff_over_manual": paths["reference"]["run_s"] / paths["manual"]["run_s"],
                "blocks_speedup": paths["manual_every_cost"]["run_s"] / paths["manual"]["run_s"],
                "cost_stride": cli_cost_stride(spec["iterations"]),
            }
            if (dtype, "train") in times:
                t = times[(dtype, "train")]
                d["train"] = {
                    "first_call_s": first_calls[dtype],
                    "run_s": t["median"],
                    "spread": t,
                    "overhead_over_manual": t["median"] / paths["manual"]["run_s"],
                    "speedup_vs_numpy": numpy_s / t["median"],
                }
            if name == "large":
                d.update(large_floors(spec, dtype, paths, quick))
            row["by_dtype"][dtype] = d
    finally:
        finals_numpy = workers["numpy"].final_costs
        for w in workers.values():
            w.close()
    row["numpy_f64_s"], row["numpy_tuned_f64_s"] = numpy_s, tuned_s
    row["numpy_times"], row["numpy_tuned_times"] = times["numpy"]["times"], times["numpy_tuned"]["times"]
    row["numpy_final_cost"] = finals_numpy[0] if finals_numpy else None
    row["machine_state"] = watch.stop()
    row["load_avg_before"], row["load_avg_after"] = (
        row["machine_state"]["load_avg_before"],
        row["machine_state"]["load_avg_after"],
    )
    warn_if_loaded(name, row["machine_state"], log)
    return row


def large_floors(spec, dtype, paths, quick):
    """The large workload's limits: the earlier floor figures and the roofline row."""
    square = 256 if quick else 2048
    d = {
        "matmul_gflops_square": matmul_rate((square, square), (square, square), dtype),
        "matmul_square_n": square,
        "matmul_gflops_workload": matmul_rate((spec["n_h"], spec["n_x"]), (spec["n_x"], spec["m"]), dtype),
        "elementwise_floor_s_per_iter": elementwise_floor(spec["m"], spec["n_h"], dtype),
    }
    flops = matmul_flops(spec["m"], spec["n_x"], spec["n_h"])
    d["matmul_floor_s_per_iter"] = flops / (d["matmul_gflops_square"] * 1e9)
    d["floor_s_per_iter"] = d["elementwise_floor_s_per_iter"] + d["matmul_floor_s_per_iter"]
    for p in PATHS:
        paths[p]["times_floor"] = paths[p]["run_s"] / spec["iterations"] / d["floor_s_per_iter"]
    d["roofline"] = roofline(spec, dtype, paths["manual"]["run_s"] / spec["iterations"], quick)
    return d


# ---------------------------------------------------------------- driver: sweeps


def sweep_networks(spec):
    """The sweep's starting parameters (flower, n_x = 2): the course's init per size, or seeds 0..K-1."""
    from shallownet import train

    if spec["seeds"] is None:
        return [train.init_params(2, n_h, 1, init="course") for n_h in spec["sizes"]]
    return [train.init_params(2, n_h, 1, seed=s) for n_h in spec["sizes"] for s in range(spec["seeds"])]


def sweep_kwargs(spec):
    """sweep.run's arguments for a sweep spec: what ``shallownet sweep`` passes for the same flags."""
    seeds = {"seeds": None, "init": "course"} if spec["seeds"] is None else {"seeds": spec["seeds"], "init": "random"}
    return dict(hidden_units=spec["sizes"], iterations=spec["iterations"], dtype=spec["dtype"], **seeds)


def sweep_flags(spec):
    """The command line of the same sweep: ``shallownet sweep --no-plots ...``."""
    flags = [
        "--hidden-units",
        *map(str, spec["sizes"]),
        "--iterations",
        str(spec["iterations"]),
        "--dtype",
        spec["dtype"],
        "--no-plots",
    ]
    return flags + ([] if spec["seeds"] is None else ["--seeds", str(spec["seeds"])])


def run_sweep(name, spec, repeats, tmpdir, log, lr=1.2):
    """numpy (the same trainings in turn) vs train.train one at a time vs all at once, alternating.

    All at once is ``shallownet.sweep.run`` without the baseline: the sweep's
    compiled program as the command runs it (costs kept every
    history stride, scores in the same program). One at a time is
    ``train.train`` with the bounded history ``shallownet train`` keeps.
    """
    from shallownet import data, sweep, train
    from shallownet.history import LIMIT, CostHistory

    watch = MachineWatch()
    X, Y = data.flower()
    Y = Y.astype(np.float64)
    networks = sweep_networks(spec)
    count, iterations, dtype = len(networks), spec["iterations"], spec["dtype"]
    problem = Path(tmpdir) / f"sweep_{name}.npz"
    save_problem(problem, X, Y, networks, lr, iterations)
    worker = NumpyWorker(problem, {})
    log(
        f"[sweep {name}] {count} networks x {iterations} it, {dtype}: numpy, one at a time, all at once, "
        f"alternating, {repeats} repeats ..."
    )
    try:

        def one_at_a_time():
            return [
                train.train(p, X, Y, lr=lr, iterations=iterations, dtype=dtype, history=CostHistory(LIMIT))[0]
                for p in networks
            ]

        timings = {}

        def all_at_once():
            return sweep.run(X, Y, lrs=(lr,), baseline=False, timings=timings, **sweep_kwargs(spec)).params

        t0 = time.perf_counter()
        one_at_a_time()
        first_one = time.perf_counter() - t0
        t0 = time.perf_counter()
        all_at_once()
        first_all = time.perf_counter() - t0
        compile_s = timings.get("compile_s")
        times = alternate(
            {"numpy": worker.run, "one_at_a_time": timed(one_at_a_time), "all_at_once": timed(all_at_once)}, repeats
        )
    finally:
        worker.close()
    net_its = count * iterations
    row = {
        "sweep": name,
        "networks": count,
        "sizes": spec["sizes"],
        "seeds": spec["seeds"],
        "iterations": iterations,
        "dtype": dtype,
        "times": times,
        "first_call_s": {"one_at_a_time": first_one, "all_at_once": first_all},
        "all_at_once_compile_s": compile_s,
    }
    for k in times:
        row[f"{k}_s"] = times[k]["median"]
        row[f"{k}_us_per_network_iter"] = times[k]["median"] / net_its * 1e6
    row["all_at_once_vs_numpy"] = times["numpy"]["median"] / times["all_at_once"]["median"]
    row["all_at_once_vs_one_at_a_time"] = times["one_at_a_time"]["median"] / times["all_at_once"]["median"]
    row["machine_state"] = watch.stop()
    warn_if_loaded(f"sweep {name}", row["machine_state"], log)
    return row


# ---------------------------------------------------------------- whole commands: `shallownet sweep` vs a numpy script


def numpy_script(problem_path):
    """A student's numpy script, as one process: load the data and inits, train each network, print the table.

    ``bench.py --numpy-script PROBLEM`` (run by ``run_command``); imports numpy only.
    """
    arrays = np.load(problem_path)
    X, Y, lr, iterations = arrays["X"], arrays["Y"], float(arrays["lr"]), int(arrays["iterations"])
    for i in range(int(arrays["count"])):
        W1, b1, W2, b2 = (arrays[f"{k}_{i}"].copy() for k in ("W1", "b1", "W2", "b2"))
        m = X.shape[1]
        for _ in range(iterations):  # numpy_course_loop, keeping the parameters
            A1 = np.tanh(np.dot(W1, X) + b1)
            A2 = 1 / (1 + np.exp(-(np.dot(W2, A1) + b2)))
            logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
            float(np.squeeze(-np.sum(logprobs) / m))
            dZ2 = A2 - Y
            dW2, db2 = np.dot(dZ2, A1.T) / m, np.sum(dZ2, axis=1, keepdims=True) / m
            dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
            dW1, db1 = np.dot(dZ1, X.T) / m, np.sum(dZ1, axis=1, keepdims=True) / m
            W1, b1, W2, b2 = W1 - lr * dW1, b1 - lr * db1, W2 - lr * dW2, b2 - lr * db2
        A2 = 1 / (1 + np.exp(-(np.dot(W2, np.tanh(np.dot(W1, X) + b1)) + b2)))
        print(f"n_h = {W1.shape[0]}: {100 * np.mean((A2 > 0.5) == (Y > 0.5)):.2f} %")


def run_command(name, spec, repeats, tmpdir, log, lr=1.2):
    """Wall time of the whole ``shallownet sweep --no-plots`` command vs the numpy script, alternating.

    Each repeat runs: the numpy script; the command with an empty compile
    cache (cold: XLA compiles); the command again with that cache (warm: the
    persistent cache serves the programs). Each is a fresh process timed from
    outside, start-up, imports, data, compile, training, baseline and output
    files included. The command is ``python -m shallownet.cli`` from this tree.
    """
    import shutil

    watch = MachineWatch()
    from shallownet import data

    X, Y = data.flower()
    problem = Path(tmpdir) / f"command_{name}.npz"
    save_problem(problem, X, Y.astype(np.float64), sweep_networks(spec), lr, spec["iterations"])
    env = dict(os.environ, PYTHONPATH=str(HERE.parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cache = Path(tmpdir) / f"xla-cache-{name}"
    log(
        f"[command {name}] `shallownet sweep {' '.join(sweep_flags(spec))}` (cold and warm compile cache) vs a "
        f"numpy script, alternating, {repeats} repeats ..."
    )

    def process(argv, extra=None):
        def run():
            t0 = time.perf_counter()
            done = subprocess.run(argv, env=dict(env, **(extra or {})), capture_output=True, text=True)
            elapsed = time.perf_counter() - t0
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(argv[:4])} ... failed ({done.returncode}): {done.stderr[-500:]}")
            return elapsed

        return run

    out = Path(tmpdir) / f"out-{name}"
    command = [sys.executable, "-m", "shallownet.cli", "sweep", *sweep_flags(spec), "--out", str(out)]
    cached = {"JAX_COMPILATION_CACHE_DIR": str(cache)}
    warm = process(command, cached)
    cold_run = process(command, cached)

    def cold():
        shutil.rmtree(cache, ignore_errors=True)
        return cold_run()

    numpy = process([sys.executable, str(Path(__file__).resolve()), "--numpy-script", str(problem)])
    times = alternate({"numpy_script": numpy, "cold": cold, "warm": warm}, repeats)
    seconds = json.loads((out / "sweep.json").read_text()).get("seconds", {})  # of the last (warm) command
    row = {
        "command": name,
        "argv": ["shallownet", "sweep", *sweep_flags(spec)],
        "networks": len(sweep_networks(spec)),
        "iterations": spec["iterations"],
        "dtype": spec["dtype"],
        "times": times,
        "warm_in_process_s": seconds,
    }
    for k in ("cold", "warm"):
        row[f"{k}_s"] = times[k]["median"]
        row[f"{k}_vs_numpy"] = times["numpy_script"]["median"] / times[k]["median"]
    row["numpy_script_s"] = times["numpy_script"]["median"]
    row["machine_state"] = watch.stop()
    warn_if_loaded(f"command {name}", row["machine_state"], log)
    return row


def run_gpu(quick, log):
    """One network vs GPU_NETWORKS at once on a GPU (float32, course size); {"skipped": why} without one."""
    import jax

    try:
        gpus = jax.devices("gpu")
    except RuntimeError:
        gpus = []
    if not gpus:
        return {"skipped": f"no GPU visible to JAX (backend {jax.default_backend()})"}
    from shallownet import data, train
    from shallownet.history import LIMIT, CostHistory

    count, iterations = QUICK_GPU if quick else (GPU_NETWORKS, GPU_ITERATIONS)
    log(f"[gpu] one network vs {count} at once, {iterations} it, float32 ...")
    watch = MachineWatch()
    X, Y = data.flower()
    Y = Y.astype(np.float32)
    networks = [train.init_params(2, 4, 1, seed=s) for s in range(count)]
    with jax.default_device(gpus[0]):
        one = timed(
            lambda: train.train(
                networks[0], X, Y, lr=1.2, iterations=iterations, dtype="float32", history=CostHistory(LIMIT)
            )[0]
        )
        all_ = timed(
            lambda: (
                train.train_many(
                    networks, X, Y, lr=1.2, iterations=iterations, dtype="float32", cost_limit=LIMIT
                ).params
            )
        )
        one(), all_()  # compile and warm up
        times = alternate({"one_network": one, "all_at_once": all_}, 1 if quick else 3)
    return {
        "device": gpus[0].device_kind,
        "networks": count,
        "iterations": iterations,
        "times": times,
        "one_network_us_per_iter": times["one_network"]["median"] / iterations * 1e6,
        "all_at_once_us_per_network_iter": times["all_at_once"]["median"] / (count * iterations) * 1e6,
        "machine_state": watch.stop(),
    }


# ---------------------------------------------------------------- tables


def fmt_s(s):
    return f"{s * 1e3:.0f} ms" if s >= 0.1 else f"{s * 1e3:.1f} ms"


def fmt_spread(sp):
    return f"{fmt_s(sp['median'])} [{fmt_s(sp['min'])}–{fmt_s(sp['max'])}]"


def _paths(d):
    """The paths of a results row; files written before the rename call the reference path "autodiff"."""
    p = d["paths"]
    return {**p, "reference": p["autodiff"]} if "reference" not in p and "autodiff" in p else p


def _mark(row):
    state = row.get("machine_state")
    return " (loaded)" if state and state.get("loaded") else ""


def table(results):
    """Markdown tables of a results dict: times with spread, ratios, compile times, limits, sweeps, state."""
    lines = [
        "| workload | dtype | numpy f64 (tuned) | manual loop | autodiff loop | manual, every cost "
        "| per-step jit | manual × numpy (× tuned) | autodiff × | every cost × | per-step × | blocks gain "
        "| `train()` × | compile s (manual, autodiff, every cost) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["workloads"]:
        for dtype, d in row["by_dtype"].items():
            p = _paths(d)
            numpy_cell = (
                f"{fmt_spread(d['numpy'])} ({fmt_s(d['numpy_tuned']['median'])})"
                if "numpy" in d
                else f"{fmt_s(row['numpy_f64_s'])} ({fmt_s(row['numpy_tuned_f64_s'])})"
            )
            shown = [k for k in PATHS if k in p]

            def ratio(k, tuned=False, p=p):
                if k not in p:
                    return "-"
                return f"{p[k]['speedup_vs_numpy']:.1f}×" + (
                    f" ({p[k]['speedup_vs_tuned_numpy']:.1f}×)" if tuned else ""
                )

            train_cell = f"{d['train']['speedup_vs_numpy']:.1f}×" if "speedup_vs_numpy" in d.get("train", {}) else "-"
            compiles = ", ".join(f"{p[k]['compile_s']:.2f}" for k in shown if k != "per_step")
            lines.append(
                f"| {row['workload']}{_mark(row)} (m={row['m']}, n_x={row['n_x']}, n_h={row['n_h']}, "
                f"{row['iterations']} it) | {dtype} | {numpy_cell} "
                + "".join(
                    f"| {fmt_spread(p[k]['spread']) if 'spread' in p[k] else fmt_s(p[k]['run_s'])} "
                    f"({p[k]['us_per_iter']:.1f} µs/it) "
                    if k in p
                    else "| - "
                    for k in PATHS
                )
                + f"| {ratio('manual', True)} | {ratio('reference')} | {ratio('manual_every_cost')} "
                f"| {ratio('per_step')} | {d.get('blocks_speedup', float('nan')):.2f} | {train_cell} "
                f"| {compiles} |"
            )
    large = [
        (row, dt, d) for row in results["workloads"] if row["workload"] == "large" for dt, d in row["by_dtype"].items()
    ]
    if large:
        lines += [
            "",
            "| large | dtype | manual GFLOP/s | autodiff GFLOP/s | matmul GFLOP/s (square, workload shape) "
            "| element-wise floor / it | floor / it | manual × floor | autodiff × floor |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row, dt, d in large:
            p = _paths(d)
            lines.append(
                f"| m={row['m']}, n_x={row['n_x']}, n_h={row['n_h']} | {dt} | {p['manual']['gflops']:.0f} "
                f"| {p['reference']['gflops']:.0f} | {d['matmul_gflops_square']:.0f} ({d['matmul_square_n']}²), "
                f"{d['matmul_gflops_workload']:.0f} | {fmt_s(d['elementwise_floor_s_per_iter'])} "
                f"| {fmt_s(d['floor_s_per_iter'])} | {p['manual']['times_floor']:.2f} "
                f"| {p['reference']['times_floor']:.2f} |"
            )
        roofs = [(row, dt, d["roofline"]) for row, dt, d in large if "roofline" in d]
        if roofs:
            lines += [
                "",
                "| roofline (large) | dtype | MFLOP / it | MB / it | GEMM GFLOP/s | bandwidth GB/s "
                "| bound / it (by) | achieved / it (manual) | achieved ÷ bound |",
                "|---|---|---|---|---|---|---|---|---|",
            ]
            for row, dt, r in roofs:
                lines.append(
                    f"| m={row['m']}, n_x={row['n_x']}, n_h={row['n_h']}{_mark(row)} | {dt} "
                    f"| {r['flops_per_iter'] / 1e6:.0f} | {r['bytes_per_iter'] / 1e6:.0f} | {r['gemm_gflops']:.0f} "
                    f"| {r['bandwidth_gbs']:.1f} | {fmt_s(r['bound_s'])} ({r['bound_by']}) "
                    f"| {fmt_s(r['achieved_s'])} | {r['achieved_over_bound']:.2f} |"
                )
    trains = [
        (row, dt, d["train"]) for row in results["workloads"] for dt, d in row["by_dtype"].items() if "train" in d
    ]
    if trains:
        lines += ["", "| `train()` (chunks of 1000) | dtype | run | × the bare manual loop |", "|---|---|---|---|"]
        for row, dt, t in trains:
            lines.append(f"| {row['workload']} | {dt} | {fmt_s(t['run_s'])} | {t['overhead_over_manual']:.2f} |")
    sweeps = results.get("sweeps", [])
    if sweeps:
        lines += [
            "",
            "| sweep (flower) | networks × it | dtype | numpy, in turn | one at a time (train) "
            "| all at once (sweep.run) | µs / network-it (all at once) | × numpy | × one at a time "
            "| compile s (all at once) |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for s in sweeps:
            t = s["times"]
            lines.append(
                f"| {s['sweep']}{_mark(s)} | {s['networks']} × {s['iterations']} | {s['dtype']} "
                f"| {fmt_spread(t['numpy'])} | {fmt_spread(t['one_at_a_time'])} | {fmt_spread(t['all_at_once'])} "
                f"| {s['all_at_once_us_per_network_iter']:.2f} | {s['all_at_once_vs_numpy']:.1f}× "
                f"| {s['all_at_once_vs_one_at_a_time']:.1f}× | {s['all_at_once_compile_s']:.2f} |"
            )
    commands = results.get("commands", [])
    if commands:
        lines += [
            "",
            "| whole command | networks × it | dtype | numpy script | `shallownet sweep`, cold cache "
            "| warm cache | × numpy (cold, warm) | warm, in the process: compile, train, baseline s |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for c in commands:
            t, sec = c["times"], c.get("warm_in_process_s", {})
            inside = ", ".join(f"{sec[k]:.2f}" if k in sec else "-" for k in ("compile_s", "train_s", "baseline_s"))
            lines.append(
                f"| {c['command']}{_mark(c)} | {c['networks']} × {c['iterations']} | {c['dtype']} "
                f"| {fmt_spread(t['numpy_script'])} | {fmt_spread(t['cold'])} | {fmt_spread(t['warm'])} "
                f"| {c['cold_vs_numpy']:.2f}×, {c['warm_vs_numpy']:.2f}× | {inside} |"
            )
    lines += targets_table(results)
    gpu = results.get("gpu")
    if gpu is not None:
        if "skipped" in gpu:
            lines += ["", f"GPU rows: skipped ({gpu['skipped']})."]
        else:
            lines += [
                "",
                "| GPU | networks × it | one network µs / it | all at once µs / network-it |",
                "|---|---|---|---|",
                f"| {gpu['device']} | {gpu['networks']} × {gpu['iterations']} "
                f"| {gpu['one_network_us_per_iter']:.1f} | {gpu['all_at_once_us_per_network_iter']:.4f} |",
            ]
    states = [
        (
            r.get("workload") or (f"sweep {r['sweep']}" if "sweep" in r else f"command {r.get('command')}"),
            r["machine_state"],
        )
        for r in results["workloads"] + sweeps + commands
        if "machine_state" in r
    ]
    if states:
        lines += [
            "",
            "| part | load avg before → after (1, 5, 15 min) | other processes, cores | quiet? |",
            "|---|---|---|---|",
        ]
        for part, st in states:
            others = st.get("others_cpu_cores")
            lines.append(
                f"| {part} | {_loads(st['load_avg_before'])} → {_loads(st['load_avg_after'])} "
                f"| {'-' if others is None else f'{others:.2f}'} "
                f"| {'no: ' + '; '.join(st['loaded_because']) if st['loaded'] else 'yes'} |"
            )
    return "\n".join(lines)


def targets_table(results):
    """Issue 11's targets, each measured figure beside its target (rows for the parts that ran)."""
    rows = []
    commands = {c["command"]: c for c in results.get("commands", [])}
    for name, target, what in (
        ("course_table", 1.5, "the course's table (7 sizes x 5,000 it, float64), whole command"),
        ("sizes_x_seeds", 8.0, "7 sizes x 8 seeds (56 networks), float32, whole command"),
    ):
        if name in commands:
            c = commands[name]
            rows.append(
                (
                    what + _mark(c),
                    f">= {target:g}× numpy",
                    f"{c['warm_vs_numpy']:.2f}× warm cache, {c['cold_vs_numpy']:.2f}× cold",
                    c["warm_vs_numpy"] >= target,
                )
            )
    same = next((s for s in results.get("sweeps", []) if s["sweep"] == "same_64"), None)
    if same is not None:
        rows.append(
            (
                f"{same['networks']} networks of n_h = 4 at once, float32, per network-iteration{_mark(same)}",
                "<= 2 µs (>= 16× numpy)",
                f"{same['all_at_once_us_per_network_iter']:.2f} µs ({same['all_at_once_vs_numpy']:.1f}×)",
                same["all_at_once_us_per_network_iter"] <= 2.0,
            )
        )
    for row in results["workloads"]:
        d = row["by_dtype"].get("float32")
        if d is None:
            continue
        if row["workload"] == "course":
            manual = _paths(d)["manual"]
            rows.append(
                (
                    f"one network, course size, float32{_mark(row)}",
                    ">= 12× numpy",
                    f"{manual['speedup_vs_numpy']:.1f}× ({manual['us_per_iter']:.2f} µs/it; `train()` "
                    f"{d.get('train', {}).get('speedup_vs_numpy', float('nan')):.1f}×)",
                    manual["speedup_vs_numpy"] >= 12,
                )
            )
        if row["workload"] == "large" and "roofline" in d:
            r = d["roofline"]
            rows.append(
                (
                    f"large workload, float32{_mark(row)}",
                    "achieved <= 1.5× the roofline bound",
                    f"{r['achieved_over_bound']:.2f}× ({r['bound_by']}-bound)",
                    r["achieved_over_bound"] <= 1.5,
                )
            )
    gpu = results.get("gpu")
    if gpu is not None:
        rows.append(
            (
                "GPU: one network vs 10,000 at once",
                "rows where a GPU is available",
                gpu.get("skipped")
                or f"{gpu['one_network_us_per_iter']:.1f} vs "
                f"{gpu['all_at_once_us_per_network_iter']:.4f} µs per network-iteration",
                None,
            )
        )
    if not rows:
        return []
    lines = ["", "| target (issue 11) | target | measured | met? |", "|---|---|---|---|"]
    lines += [
        f"| {what} | {target} | {measured} | {'-' if met is None else ('yes' if met else 'no')} |"
        for what, target, measured, met in rows
    ]
    return lines


def _loads(load):
    return "-" if load is None else ", ".join(f"{v:.2f}" for v in load)


def selected(workloads, sweeps, commands):
    """(workloads, sweeps, commands) to run: no group flag runs everything; otherwise a group runs only when its
    flag is given (None: not given), all of it for the flag alone ([]), the names given otherwise."""
    groups = {"workloads": list(WORKLOADS), "sweeps": list(SWEEPS), "commands": list(COMMANDS)}
    asked = dict(zip(groups, (workloads, sweeps, commands)))
    everything = all(value is None for value in asked.values())
    return tuple(groups[name] if everything or asked[name] == [] else list(asked[name] or []) for name in groups)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes and one repeat: a smoke run")
    ap.add_argument(
        "--workloads",
        nargs="*",
        choices=list(WORKLOADS),
        default=None,
        help="one-network workloads (flag alone: all; default: all unless --sweeps or --commands is given)",
    )
    ap.add_argument(
        "--sweeps",
        nargs="*",
        choices=list(SWEEPS),
        default=None,
        help="sweep rows (flag alone: all; default: all unless --workloads or --commands is given)",
    )
    ap.add_argument(
        "--commands",
        nargs="*",
        choices=list(COMMANDS),
        default=None,
        help="whole-command rows: `shallownet sweep --no-plots` vs a numpy script, cold and warm compile "
        "cache (flag alone: all; default: all unless --workloads or --sweeps is given)",
    )
    ap.add_argument("--dtypes", nargs="+", choices=["float32", "float64"], default=["float32", "float64"])
    ap.add_argument("--gpu", action="store_true", help="add the GPU rows (skipped cleanly without a GPU)")
    ap.add_argument("--repeats", type=int, default=None, help="alternating repeats (default 5, large 3)")
    ap.add_argument("--out", default=str(HERE / "results.json"))
    ap.add_argument("--table", metavar="RESULTS_JSON", help="only print the Markdown tables of a results file")
    ap.add_argument("--numpy-worker", help=argparse.SUPPRESS)
    ap.add_argument("--numpy-script", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.numpy_worker:
        return numpy_worker(args.numpy_worker)
    if args.numpy_script:
        return numpy_script(args.numpy_script)
    if args.table:
        print(table(json.loads(Path(args.table).read_text())))
        return
    workloads, sweeps, commands = selected(args.workloads, args.sweeps, args.commands)

    import jax

    jax.config.update("jax_enable_x64", True)  # float64 runs must really be float64
    specs, sweep_specs = (QUICK, QUICK_SWEEPS) if args.quick else (WORKLOADS, SWEEPS)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    results = {
        "quick": args.quick,
        "machine": machine_info(),
        "load_avg_before": load_avg(),
        "workloads": [],
        "sweeps": [],
        "commands": [],
    }
    RUN["start_load"] = results["load_avg_before"]
    watch = MachineWatch()
    with tempfile.TemporaryDirectory() as tmp:
        for name in workloads:
            default_repeats = 1 if args.quick else (3 if name == "large" else 5)
            results["workloads"].append(
                run_workload(
                    name, specs[name], args.dtypes, args.repeats or default_repeats, tmp, log, quick=args.quick
                )
            )
        for name in sweeps:
            results["sweeps"].append(
                run_sweep(name, sweep_specs[name], args.repeats or (1 if args.quick else 3), tmp, log)
            )
        for name in commands:
            results["commands"].append(
                run_command(name, sweep_specs[name], args.repeats or (1 if args.quick else 3), tmp, log)
            )
    if args.gpu:
        results["gpu"] = run_gpu(args.quick, log)
    results["load_avg_after"] = load_avg()
    results["machine_state"] = watch.stop()
    results["loaded"] = any(
        r["machine_state"]["loaded"] for r in results["workloads"] + results["sweeps"] + results["commands"]
    )
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(table(results))
    print(f"\nload average before {results['load_avg_before']}, after {results['load_avg_after']}; written {args.out}")
    if results["loaded"]:
        warnings.warn(
            "the machine was loaded during this run: the results are marked and are not quiet figures", stacklevel=1
        )


if __name__ == "__main__":
    sys.exit(main())
