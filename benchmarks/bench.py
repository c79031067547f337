"""Benchmark: the course's numpy loop against the compiled engine, alternating within one run.

Contenders, same data and starting parameters: numpy (the course's loop, float64, in two long-lived
subprocesses, one with MALLOC_TOP_PAD_ "tuned", each timing its own loop); manual and autodiff (the whole loop in
one call of the one compiled step, ``shallownet.step.run_chunk`` on a stack of one); per-step (one jitted step
from a Python loop); train() (``shallownet.train.train`` as ``shallownet train`` calls it). Sweeps: numpy in
turn, train() one at a time, all at once (``shallownet.sweep.run``). Repeats alternate, the order rotating, so a
change of load weighs on every contender alike; compile time is apart. Statistics, metadata and file format are
pyperf's (``--pyperf FILE``); each part records the load average at its start (docs/benchmarks.md).

    python benchmarks/bench.py                  # everything, writes benchmarks/results.json
    python benchmarks/bench.py --quick          # small sizes, one repeat: a smoke run
    python benchmarks/bench.py --workloads course --dtypes float32 --sweeps course_table
    python benchmarks/bench.py --table benchmarks/results.json   # print the tables of a results file
"""

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyperf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the tree this script belongs to, not an installed copy

WORKLOADS = {  # flower-shaped data for m = 400, n_x = 2
    "course": dict(m=400, n_x=2, n_h=4, iterations=10_000, lr=1.2),
    "wide": dict(m=400, n_x=2, n_h=50, iterations=10_000, lr=1.2),
    "large": dict(m=200_000, n_x=64, n_h=256, iterations=10, lr=0.5),
}
QUICK = {
    "course": dict(WORKLOADS["course"], iterations=300),
    "wide": dict(WORKLOADS["wide"], iterations=300),
    "large": dict(m=4_000, n_x=16, n_h=32, iterations=5, lr=0.5),
}
COURSE_SIZES = [1, 2, 3, 4, 5, 20, 50]
SWEEPS = {  # hidden sizes, seeds (None: the course's init), iterations, dtype
    "course_table": dict(sizes=COURSE_SIZES, seeds=None, iterations=5000, dtype="float64"),
    "sizes_x_seeds": dict(sizes=COURSE_SIZES, seeds=8, iterations=5000, dtype="float32"),
    "same_64": dict(sizes=[4], seeds=64, iterations=5000, dtype="float32"),
}
QUICK_SWEEPS = {
    "course_table": dict(SWEEPS["course_table"], iterations=200),
    "sizes_x_seeds": dict(SWEEPS["sizes_x_seeds"], seeds=2, iterations=200),
    "same_64": dict(SWEEPS["same_64"], seeds=8, iterations=200),
}
WORKLOAD_COLUMNS = ["workload", "dtype", "numpy f64 (tuned) ms", "manual µs/it", "autodiff µs/it", "per-step µs/it"]
WORKLOAD_COLUMNS += ["train() µs/it", "manual × numpy (× tuned)", "compile manual s"]
SWEEP_COLUMNS = ["sweep", "networks", "dtype", "numpy s", "one at a time s", "all at once s"]
SWEEP_COLUMNS += ["µs / network-it (all at once)", "× numpy", "× one at a time", "compile s"]
MALLOC_TUNED = {"MALLOC_TOP_PAD_": "100000000"}
LOADED_LOAD = 0.3


def numpy_course_loop(X, Y, W1, b1, W2, b2, learning_rate, num_iterations):
    """The course's nn_model loop in plain numpy (tanh hidden, sigmoid output): returns the costs."""
    m = X.shape[1]
    costs = np.empty(num_iterations)
    for i in range(num_iterations):
        Z1 = np.dot(W1, X) + b1
        A1 = np.tanh(Z1)
        Z2 = np.dot(W2, A1) + b2
        A2 = 1 / (1 + np.exp(-Z2))
        logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
        costs[i] = -np.sum(logprobs) / m
        dZ2 = A2 - Y
        dW2 = np.dot(dZ2, A1.T) / m
        db2 = np.sum(dZ2, axis=1, keepdims=True) / m
        dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
        dW1 = np.dot(dZ1, X.T) / m
        db1 = np.sum(dZ1, axis=1, keepdims=True) / m
        W1, b1 = W1 - learning_rate * dW1, b1 - learning_rate * db1
        W2, b2 = W2 - learning_rate * dW2, b2 - learning_rate * db2
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
        command = [sys.executable, __file__, "--numpy-worker", str(problem_path)]
        env = dict(os.environ, **env_extra)
        self.proc = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._ask(None)  # {"ready": true} once warmed up
        self.final_costs = None

    def _ask(self, request):
        if request is not None:
            self.proc.stdin.write(request + "\n")
            self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the numpy worker ended without an answer")
        return json.loads(line)

    def run(self):
        answer = self._ask("run")
        self.final_costs = answer["final_costs"]
        return answer["time"]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


def alternate(contenders, repeats):
    """Each contender once per repeat, the order rotating; ``contenders[name]()`` returns its own seconds."""
    names = list(contenders)
    times = {name: [] for name in names}
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(contenders[name]())
    return times


def timed(fn):
    """A contender timing ``fn()`` (its outputs waited for) with perf_counter."""
    import jax

    def run():
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        return time.perf_counter() - t0

    return run


def benchmark(name, seconds):
    """A pyperf.Benchmark of one contender: one run per repeat (pyperf collects the machine's metadata)."""
    return pyperf.Benchmark([pyperf.Run([s], metadata={"name": name, "unit": "second"}) for s in seconds])


def summary(bench):
    """median, min, max, stdev (None for one value) and the values of a pyperf.Benchmark."""
    values = list(bench.get_values())
    stdev = bench.stdev() if len(values) > 1 else None
    return {"median": bench.median(), "min": min(values), "max": max(values), "stdev": stdev, "times": values}


def measure(contenders, repeats, suite, prefix=""):
    """Alternate the contenders; add each as a pyperf benchmark to ``suite``; {name: summary}."""
    out = {}
    for name, seconds in alternate(contenders, repeats).items():
        suite.append(benchmark(prefix + (name if isinstance(name, str) else "/".join(name)), seconds))
        out[name] = summary(suite[-1])
    return out


def machine_state():
    """The load average (1, 5, 15 min) now and whether its 1-minute figure marks the run as loaded."""
    load = list(os.getloadavg())
    return {"load_avg": load, "loaded": load[0] > LOADED_LOAD}


def make_problem(m, n_x, n_h, seed=0):
    """(X, Y, params): the flower data when m = 400 and n_x = 2, else a seeded random two-class problem."""
    from shallownet import data, train

    if (m, n_x) == (400, 2):
        X, Y = data.flower()
    else:
        X = np.random.default_rng(seed).standard_normal((n_x, m))
        Y = (np.sin(X[:1] * 2) + X[1:2] > 0).astype(np.uint8)
    return X, Y.astype(np.float64), train.init_params(n_x, n_h, 1, seed=seed)


def compiled_contenders(X, Y, params, dtype, lr, iterations):
    """({path: contender}, {path: compile s}, {path: final cost}): the one step on a stack of one; per-step jit."""
    import jax

    import manual
    from shallownet import step
    from shallownet.history import LIMIT, stride_for
    from shallownet.stack import Stack

    stack = Stack([params], X.shape[0], Y.shape[0], X.shape[1], lr=lr, activation="tanh", dtype=dtype)
    n_x, m, none = X.shape[0], X.shape[1], np.asarray(False)
    data = dict(X=X.astype(dtype), Y=Y.astype(dtype), lr=stack.lr, mask=stack.mask, X_eval=np.zeros((n_x, 0), dtype))
    data.update(columns=np.zeros((1, 0), dtype), m=np.asarray(m, dtype))
    stride = stride_for(0, iterations, LIMIT)
    call = dict(n=np.int32(iterations), stride=np.int32(stride), offset=np.int32(0), evaluate=none)
    args = jax.device_put([stack.theta, np.ones(1, bool), data, call])  # J at the final stride (long runs' path)
    contenders, compile_s, finals = {}, {}, {}
    for gradients in ("manual", "reference"):
        kw = dict(layout=stack.layout, gradients=gradients, output="sigmoid", capacity=iterations, mesh=None)
        t0 = time.perf_counter()
        compiled = step.run_chunk.lower(*args, **kw).compile()
        compile_s[gradients] = time.perf_counter() - t0
        _, costs, steps, *_ = compiled(*args)  # also the warm-up
        if int(steps[0]) != iterations:
            raise RuntimeError(f"the {gradients} loop stopped early (diverged?) at step {int(steps[0])}")
        finals[gradients] = float(costs[iterations - 1, 0])
        contenders[gradients] = timed(lambda c=compiled: c(*args))
    X_, Y_, lr_ = args[2]["X"], args[2]["Y"], np.asarray(lr, dtype)

    def one_step(p):
        J, g = manual.value_and_grads_unchecked(p, X_, Y_, "tanh", "sigmoid")
        return {k: p[k] - lr_ * g["d" + k] for k in p}, J

    p0 = {k: jax.device_put(np.asarray(v, dtype)) for k, v in params.items()}
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
    """(contender, first call seconds): shallownet.train.train as ``shallownet train`` calls it."""
    from shallownet.history import LIMIT, CostHistory
    from shallownet.run import CHUNK_SECONDS
    from shallownet.train import train

    def run():
        kw = dict(lr=lr, iterations=iterations, dtype=dtype, chunk_seconds=CHUNK_SECONDS)
        return train(params, X, Y, history=CostHistory(LIMIT), **kw)[0]

    contender = timed(run)
    return contender, contender()


def run_workload(name, spec, dtypes, repeats, tmpdir, suite, log):
    """numpy (plain, tuned) and every dtype's compiled contenders, alternating in one series of repeats."""
    state = machine_state()
    X, Y, params = make_problem(spec["m"], spec["n_x"], spec["n_h"])
    problem = Path(tmpdir) / f"{name}.npz"
    save_problem(problem, X, Y, [params], spec["lr"], spec["iterations"])
    workers = {"numpy": NumpyWorker(problem, {}), "numpy_tuned": NumpyWorker(problem, MALLOC_TUNED)}
    log(f"[{name}] {', '.join(dtypes)}: numpy (plain, tuned), compiled loops, per-step jit, train(); {repeats} repeats")
    try:
        contenders, compile_s, finals = {k: w.run for k, w in workers.items()}, {}, {}
        for dtype in dtypes:
            problem_args = (X, Y, params, dtype, spec["lr"], spec["iterations"])
            found, compile_s[dtype], finals[dtype] = compiled_contenders(*problem_args)
            if name != "large":
                found["train"], compile_s[dtype]["train"] = train_contender(*problem_args)
            contenders.update({(dtype, k): f for k, f in found.items()})
        times = measure(contenders, repeats, suite, prefix=f"{name}/")
        numpy_final = workers["numpy"].final_costs[0]
    finally:
        for worker in workers.values():
            worker.close()
    row = {"workload": name, **spec, "numpy": times["numpy"], "numpy_tuned": times["numpy_tuned"], "by_dtype": {}}
    for (dtype, path), t in ((key, t) for key, t in times.items() if isinstance(key, tuple)):
        found = dict(compile_s=compile_s[dtype][path], run_s=t["median"], spread=t, final_cost=finals[dtype].get(path))
        found["us_per_iter"] = t["median"] / spec["iterations"] * 1e6
        for key, numpy_key in (("numpy", "numpy"), ("tuned_numpy", "numpy_tuned")):
            found[f"speedup_vs_{key}"] = times[numpy_key]["median"] / t["median"]
        row["by_dtype"].setdefault(dtype, {"paths": {}})["paths"][path] = found
    return {**row, "numpy_final_cost": numpy_final, "machine_state": state}


def sweep_networks(spec):
    """(starting parameters, sweep.run's arguments) of a sweep spec on the flower data (n_x = 2): the course's
    init per size, or seeds 0..K-1 per size, as ``shallownet sweep`` makes them for the same flags."""
    from shallownet import train

    kw = dict(hidden_units=spec["sizes"], iterations=spec["iterations"], dtype=spec["dtype"])
    if spec["seeds"] is None:
        return [train.init_params(2, n_h, 1, init="course") for n_h in spec["sizes"]], {**kw, "init": "course"}
    networks = [train.init_params(2, n_h, 1, seed=s) for n_h in spec["sizes"] for s in range(spec["seeds"])]
    return networks, {**kw, "seeds": spec["seeds"], "init": "random"}


def run_sweep(name, spec, repeats, tmpdir, suite, log, lr=1.2):
    """numpy (the same trainings in turn) vs train.train one at a time vs all at once (sweep.run), alternating."""
    from shallownet import data, sweep, train
    from shallownet.history import LIMIT, CostHistory

    state = machine_state()
    X, Y = data.flower()
    Y = Y.astype(np.float64)
    networks, sweep_kwargs = sweep_networks(spec)
    count, iterations, dtype = len(networks), spec["iterations"], spec["dtype"]
    problem = Path(tmpdir) / f"sweep_{name}.npz"
    save_problem(problem, X, Y, networks, lr, iterations)
    worker = NumpyWorker(problem, {})
    log(f"[sweep {name}] {count} networks x {iterations} it, {dtype}: numpy, one at a time, all at once")
    timings = {}

    def one_at_a_time():
        kw = dict(lr=lr, iterations=iterations, dtype=dtype)
        return [train.train(p, X, Y, history=CostHistory(LIMIT), **kw)[0] for p in networks]

    def all_at_once():
        return sweep.run(X, Y, lrs=(lr,), baseline=False, timings=timings, **sweep_kwargs).params

    try:
        contenders = {"numpy": worker.run, "one_at_a_time": timed(one_at_a_time), "all_at_once": timed(all_at_once)}
        first = {label: contenders[label]() for label in ("one_at_a_time", "all_at_once")}  # compiles, untimed
        compile_s = timings.get("compile_s")  # the first call's: later calls find the program compiled
        times = measure(contenders, repeats, suite, prefix=f"sweep {name}/")
    finally:
        worker.close()
    row = {"sweep": name, "networks": count, **spec, "times": times, "first_call_s": first}
    row["all_at_once_compile_s"] = compile_s
    for k, t in times.items():
        row[f"{k}_s"] = t["median"]
        row[f"{k}_us_per_network_iter"] = t["median"] / (count * iterations) * 1e6
    row["all_at_once_vs_numpy"] = times["numpy"]["median"] / times["all_at_once"]["median"]
    row["all_at_once_vs_one_at_a_time"] = times["one_at_a_time"]["median"] / times["all_at_once"]["median"]
    return {**row, "machine_state": state}


def markdown(columns, rows):
    """A markdown table's lines."""
    return [f"| {' | '.join(columns)} |", "|" + "---|" * len(columns)] + [f"| {' | '.join(r)} |" for r in rows]


def table(results):
    """Markdown tables: one network (µs per iteration, × numpy), then the sweeps; "(loaded)" marks a loaded part."""
    loaded = lambda row: " (loaded)" if row["machine_state"]["loaded"] else ""  # noqa: E731
    workloads = []
    for row in results.get("workloads", []):
        numpy_ms = f"{row['numpy']['median'] * 1e3:.1f} ({row['numpy_tuned']['median'] * 1e3:.1f})"
        for dtype, d in row["by_dtype"].items():
            p, us = d["paths"], {k: f"{v['us_per_iter']:.2f}" for k, v in d["paths"].items()}
            ratios = f"{p['manual']['speedup_vs_numpy']:.1f} ({p['manual']['speedup_vs_tuned_numpy']:.1f})"
            cells = [us["manual"], us["reference"], us["per_step"], us.get("train", "-"), ratios]
            workloads.append(
                [row["workload"] + loaded(row), dtype, numpy_ms, *cells, f"{p['manual']['compile_s']:.2f}"]
            )
    sweeps = [
        [row["sweep"] + loaded(row), str(row["networks"]), row["dtype"]]
        + [f"{row[k]:.2f}" for k in ("numpy_s", "one_at_a_time_s", "all_at_once_s", "all_at_once_us_per_network_iter")]
        + [f"{row[k]:.1f}" for k in ("all_at_once_vs_numpy", "all_at_once_vs_one_at_a_time")]
        + [f"{row['all_at_once_compile_s'] or float('nan'):.2f}"]
        for row in results.get("sweeps", [])
    ]
    return "\n".join(markdown(WORKLOAD_COLUMNS, workloads) + ([""] + markdown(SWEEP_COLUMNS, sweeps) if sweeps else []))


def selected(workloads, sweeps):
    """(workloads, sweeps): no group flag, everything; else a flag with names, those; alone, all of its group."""
    if workloads is None and sweeps is None:
        return list(WORKLOADS), list(SWEEPS)
    return tuple(
        [] if names is None else (names or list(group)) for names, group in ((workloads, WORKLOADS), (sweeps, SWEEPS))
    )


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat: a smoke run")
    parser.add_argument("--workloads", nargs="*", choices=list(WORKLOADS), default=None)
    parser.add_argument("--sweeps", nargs="*", choices=list(SWEEPS), default=None)
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per contender (default 5; quick 1)")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--pyperf", type=Path, default=None, help="also save a pyperf suite (JSON) of every contender")
    parser.add_argument("--table", type=Path, default=None, help="print the tables of a results file and stop")
    parser.add_argument("--numpy-worker", type=Path, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    if args.numpy_worker is not None:
        return numpy_worker(args.numpy_worker)
    if args.table is not None:
        return print(table(json.loads(args.table.read_text())))
    import jax

    jax.config.update("jax_enable_x64", True)  # float64 contenders; float32 ones cast their inputs
    workloads, sweeps = selected(args.workloads, args.sweeps)
    repeats = args.repeats or (1 if args.quick else 5)
    specs, sweep_specs = (QUICK, QUICK_SWEEPS) if args.quick else (WORKLOADS, SWEEPS)
    results = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "quick": args.quick, "repeats": repeats}
    results.update(start=machine_state(), jax_version=jax.__version__, backend=jax.default_backend())
    suite = []

    log = functools.partial(print, file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory() as tmpdir:
        results["workloads"] = [run_workload(n, specs[n], args.dtypes, repeats, tmpdir, suite, log) for n in workloads]
        results["sweeps"] = [run_sweep(n, sweep_specs[n], repeats, tmpdir, suite, log) for n in sweeps]
    results["end"] = machine_state()
    args.out.write_text(json.dumps(results, indent=1))
    if args.pyperf is not None:
        pyperf.BenchmarkSuite(suite).dump(str(args.pyperf), replace=True)
    print(table(results))
    if results["start"]["loaded"]:
        log(f"warning: load average {results['start']['load_avg']} at the start: not quiet-machine figures")
    return results


if __name__ == "__main__":
    main()
