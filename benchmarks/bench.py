"""Benchmark: the course's numpy loop against the compiled JAX training loop.

One run measures, side by side on the same data and starting parameters:

  (a) numpy  - the course's loop written as the course writes it (np.dot,
               np.tanh, cost every iteration), float64: what a student has.
               Run in a fresh subprocess, once as is and once with
               MALLOC_TOP_PAD_=100000000 ("tuned numpy"), which stops glibc
               from returning freed temporaries to the OS every iteration (at
               n_h = 50 most of the plain loop's time is page faults).
  (b) manual   - the whole loop in one compiled program (shallownet.loop.run_chunk),
                 hand-derived gradients;
  (c) autodiff - the same program with jax.grad gradients;
  (d) per-step - one jitted step (manual gradients), called from a Python loop.

Each JAX path is compiled ahead of time (compile_s, reported apart), run once
to warm up, then timed `repeats` times (the manual and autodiff loops in
alternation, so load changes hit both alike); the median is reported. Both compiled
loops compute the cost J every iteration, as the numpy loop does. Ratios are
numpy time / our time, in the same run.

    python benchmarks/bench.py                       # everything (several minutes), writes benchmarks/results.json
    python benchmarks/bench.py --quick               # small sizes, seconds: a smoke run
    python benchmarks/bench.py --workloads course wide --dtypes float32
    python benchmarks/bench.py --table benchmarks/results.json   # print the README table of a results file

Timings on a shared machine are noisy: the script records the load average
before and after; compare ratios from one run, not times across runs.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# name: (m, n_x, n_h, iterations, lr). "flower" data for m = 400, n_x = 2.
WORKLOADS = {
    "course": dict(m=400, n_x=2, n_h=4, iterations=10_000, lr=1.2),
    "wide": dict(m=400, n_x=2, n_h=50, iterations=10_000, lr=1.2),
    "large": dict(m=200_000, n_x=64, n_h=256, iterations=50, lr=0.5),
}
QUICK = {
    "course": dict(m=400, n_x=2, n_h=4, iterations=300, lr=1.2),
    "wide": dict(m=400, n_x=2, n_h=50, iterations=300, lr=1.2),
    "large": dict(m=4_000, n_x=16, n_h=32, iterations=5, lr=0.5),
}
PATHS = ("manual", "reference", "per_step")
MALLOC_TUNED = {"MALLOC_TOP_PAD_": "100000000"}


# ---------------------------------------------------------------- (a) numpy

def numpy_course_loop(X, Y, W1, b1, W2, b2, learning_rate, num_iterations):
    """The course's nn_model loop in plain numpy (tanh hidden, sigmoid output): returns the costs."""
    m = X.shape[1]
    costs = []
    for i in range(num_iterations):
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


def numpy_worker(problem_path, repeats):
    """Subprocess entry: time the numpy loop on the saved problem; prints JSON."""
    d = np.load(problem_path)
    args = [d[k] for k in ("X", "Y", "W1", "b1", "W2", "b2")]
    lr, iterations = float(d["lr"]), int(d["iterations"])
    numpy_course_loop(*args, lr, max(1, min(iterations, 20)))   # warm-up: BLAS threads, caches
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        costs = numpy_course_loop(*args, lr, iterations)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"times": times, "final_cost": costs[-1]}))


def time_numpy(problem_path, repeats, env_extra):
    env = dict(os.environ, **env_extra)
    out = subprocess.run([sys.executable, __file__, "--numpy-worker", str(problem_path), str(repeats)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


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
    params = {"W1": 0.01 * rng.standard_normal((n_h, n_x)), "b1": np.zeros((n_h, 1)),
              "W2": 0.01 * rng.standard_normal((1, n_h)), "b2": np.zeros((1, 1))}
    return X, Y, params


def matmul_flops(m, n_x, n_h, n_y=1):
    """Multiply-adds x 2 of one iteration's matrix products: W1 X and dZ1 X^T (2 n_h n_x m each),
    W2 A1, dZ2 A1^T, W2^T dZ2 (2 n_y n_h m each)."""
    return 4 * n_h * n_x * m + 6 * n_y * n_h * m


# ---------------------------------------------------------------- JAX timing

def median_time(fn, repeats):
    import jax

    jax.block_until_ready(fn())   # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), times


def time_jax_paths(X, Y, params, dtype, lr, iterations, repeats):
    """compile_s and median run_s of the compiled loops (manual, autodiff) and of per-step jit."""
    import jax
    import jax.numpy as jnp

    from shallownet.loop import gd_update, run_chunk, value_and_grads_fn

    dt = jnp.dtype(dtype)
    Xd, Yd = jax.device_put(X.astype(dt)), jax.device_put(Y.astype(dt))
    p0 = {k: jax.device_put(v.astype(dt)) for k, v in params.items()}
    lr_ = np.asarray(lr, dt)
    n = np.int32(iterations)
    out, calls = {}, {}
    for gradients in ("manual", "reference"):
        kw = dict(activation="tanh", output="sigmoid", gradients=gradients, capacity=iterations)
        t0 = time.perf_counter()
        compiled = run_chunk.lower(p0, Xd, Yd, lr_, n, **kw).compile()
        compile_s = time.perf_counter() - t0
        _, costs, steps, ok = compiled(p0, Xd, Yd, lr_, n)   # also the warm-up
        if not (bool(ok) and int(steps) == iterations):
            raise RuntimeError(f"{gradients} loop stopped early (diverged?) at step {int(steps)}")
        out[gradients] = {"compile_s": compile_s, "times": [], "final_cost": float(costs[iterations - 1])}
        calls[gradients] = partial(compiled, p0, Xd, Yd, lr_, n)
    # The two paths' repeats alternate, so that a change in the machine's load
    # during the run weighs on both alike: their ratio is the figure to trust.
    for _ in range(repeats):
        for gradients, call in calls.items():
            t0 = time.perf_counter()
            jax.block_until_ready(call())
            out[gradients]["times"].append(time.perf_counter() - t0)
    for gradients in calls:
        out[gradients]["run_s"] = float(np.median(out[gradients]["times"]))

    vg = value_and_grads_fn("manual")

    def one_step(p):
        J, g = vg(p, Xd, Yd, "tanh", "sigmoid")
        return gd_update(p, g, lr_), J

    t0 = time.perf_counter()
    step = jax.jit(one_step).lower(p0).compile()
    compile_s = time.perf_counter() - t0

    def python_loop():
        p, costs = p0, []
        for _ in range(iterations):
            p, J = step(p)
            costs.append(J)   # kept on the device: no host sync per step
        return p, costs

    run_s, times = median_time(python_loop, repeats)
    out["per_step"] = {"compile_s": compile_s, "run_s": run_s, "times": times}
    return out


def time_train(X, Y, params, dtype, lr, iterations, repeats):
    """shallownet.train.train (chunks of 1000 with a host sync between): the overhead over run_chunk."""
    from shallownet.train import train

    def run():
        return train(params, X, Y, activation="tanh", gradients="manual", lr=lr, iterations=iterations,
                     dtype=dtype)[0]

    t0 = time.perf_counter()
    run()
    first_s = time.perf_counter() - t0
    run_s, times = median_time(run, repeats)
    return {"first_call_s": first_s, "run_s": run_s, "times": times}


def matmul_rate(shape_a, shape_b, dtype, repeats=5):
    """GFLOP/s of a jitted jnp.dot of the given shapes (inputs on the device, median)."""
    import jax
    import jax.numpy as jnp

    dt = jnp.dtype(dtype)
    rng = np.random.default_rng(1)
    a = jax.device_put(rng.standard_normal(shape_a).astype(dt))
    b = jax.device_put(rng.standard_normal(shape_b).astype(dt))
    f = jax.jit(jnp.dot).lower(a, b).compile()
    s, _ = median_time(lambda: f(a, b), repeats)
    return 2 * shape_a[0] * shape_a[1] * shape_b[1] / s / 1e9


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
    s_fwd, _ = median_time(lambda: fwd(Z1, b1), repeats)
    s_bwd, _ = median_time(lambda: bwd(w2, dZ2, Z1), repeats)
    return s_fwd + s_bwd


# ---------------------------------------------------------------- driver

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
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "jax": jax.__version__, "jaxlib": jaxlib.__version__,
            "backend": jax.default_backend(), "device": getattr(dev, "device_kind", str(dev)),
            "date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}


def run_workload(name, spec, dtypes, repeats, numpy_repeats, tmpdir, log):
    load_before = load_avg()
    X, Y, params = make_problem(spec["m"], spec["n_x"], spec["n_h"])
    problem = Path(tmpdir) / f"{name}.npz"
    np.savez(problem, X=X, Y=Y, lr=spec["lr"], iterations=spec["iterations"], **params)
    log(f"[{name}] numpy float64 ({numpy_repeats} repeats, plain and tuned malloc) ...")
    plain = time_numpy(problem, numpy_repeats, {})
    tuned = time_numpy(problem, numpy_repeats, MALLOC_TUNED)
    numpy_s, tuned_s = float(np.median(plain["times"])), float(np.median(tuned["times"]))
    row = {"workload": name, **spec, "numpy_f64_s": numpy_s, "numpy_tuned_f64_s": tuned_s,
           "numpy_times": plain["times"], "numpy_tuned_times": tuned["times"],
           "numpy_final_cost": plain["final_cost"], "by_dtype": {}}
    flops = matmul_flops(spec["m"], spec["n_x"], spec["n_h"])
    row["matmul_flops_per_iter"] = flops
    for dtype in dtypes:
        log(f"[{name}] {dtype}: compiled loops and per-step jit ({repeats} repeats) ...")
        paths = time_jax_paths(X, Y, params, dtype, spec["lr"], spec["iterations"], repeats)
        for p in PATHS:
            r = paths[p]
            r["us_per_iter"] = r["run_s"] / spec["iterations"] * 1e6
            r["speedup_vs_numpy"] = numpy_s / r["run_s"]
            r["speedup_vs_tuned_numpy"] = tuned_s / r["run_s"]
            r["gflops"] = flops * spec["iterations"] / r["run_s"] / 1e9
        d = {"paths": paths, "autodiff_over_manual": paths["reference"]["run_s"] / paths["manual"]["run_s"]}
        if name in ("course", "wide"):
            d["train"] = time_train(X, Y, params, dtype, spec["lr"], spec["iterations"], repeats)
            d["train"]["overhead_over_manual"] = d["train"]["run_s"] / paths["manual"]["run_s"]
        if name == "large":
            square = 2048 if spec["m"] >= 100_000 else 256
            d["matmul_gflops_square"] = matmul_rate((square, square), (square, square), dtype)
            d["matmul_square_n"] = square
            d["matmul_gflops_workload"] = matmul_rate((spec["n_h"], spec["n_x"]), (spec["n_x"], spec["m"]), dtype)
            d["elementwise_floor_s_per_iter"] = elementwise_floor(spec["m"], spec["n_h"], dtype)
            d["matmul_floor_s_per_iter"] = flops / (d["matmul_gflops_square"] * 1e9)
            floor = d["elementwise_floor_s_per_iter"] + d["matmul_floor_s_per_iter"]
            d["floor_s_per_iter"] = floor
            for p in PATHS:
                paths[p]["times_floor"] = paths[p]["run_s"] / spec["iterations"] / floor
        row["by_dtype"][dtype] = d
    row["load_avg_before"], row["load_avg_after"] = load_before, load_avg()
    return row


def load_avg():
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def fmt_s(s):
    return f"{s * 1e3:.0f} ms" if s >= 0.1 else f"{s * 1e3:.1f} ms"


def table(results):
    """Markdown tables of a results dict: times, ratios, compile times, large-size limits."""
    lines = ["| workload | dtype | numpy f64 (tuned) | manual loop | autodiff loop | per-step jit "
             "| manual × numpy (× tuned) | autodiff × | per-step × | autodiff / manual | compile s (manual, autodiff) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in results["workloads"]:
        for dtype, d in row["by_dtype"].items():
            p = d["paths"]
            lines.append(
                f"| {row['workload']} (m={row['m']}, n_x={row['n_x']}, n_h={row['n_h']}, {row['iterations']} it) "
                f"| {dtype} | {fmt_s(row['numpy_f64_s'])} ({fmt_s(row['numpy_tuned_f64_s'])}) "
                + "".join(f"| {fmt_s(p[k]['run_s'])} ({p[k]['us_per_iter']:.1f} µs/it) " for k in PATHS)
                + f"| {p['manual']['speedup_vs_numpy']:.1f}× ({p['manual']['speedup_vs_tuned_numpy']:.1f}×) "
                f"| {p['reference']['speedup_vs_numpy']:.1f}× ({p['reference']['speedup_vs_tuned_numpy']:.1f}×) "
                f"| {p['per_step']['speedup_vs_numpy']:.1f}× | {d['autodiff_over_manual']:.2f} "
                f"| {p['manual']['compile_s']:.2f}, {p['reference']['compile_s']:.2f} |")
    large = [(row, dt, d) for row in results["workloads"] if row["workload"] == "large"
             for dt, d in row["by_dtype"].items()]
    if large:
        lines += ["", "| large | dtype | manual GFLOP/s | autodiff GFLOP/s | matmul GFLOP/s (square, workload shape) "
                  "| element-wise floor / it | floor / it | manual × floor | autodiff × floor |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for row, dt, d in large:
            p = d["paths"]
            lines.append(
                f"| m={row['m']}, n_x={row['n_x']}, n_h={row['n_h']} | {dt} | {p['manual']['gflops']:.0f} "
                f"| {p['reference']['gflops']:.0f} | {d['matmul_gflops_square']:.0f} ({d['matmul_square_n']}²), "
                f"{d['matmul_gflops_workload']:.0f} | {fmt_s(d['elementwise_floor_s_per_iter'])} "
                f"| {fmt_s(d['floor_s_per_iter'])} | {p['manual']['times_floor']:.2f} "
                f"| {p['reference']['times_floor']:.2f} |")
    trains = [(row, dt, d["train"]) for row in results["workloads"]
              for dt, d in row["by_dtype"].items() if "train" in d]
    if trains:
        lines += ["", "| `train()` (chunks of 1000) | dtype | run | × the bare manual loop |", "|---|---|---|---|"]
        for row, dt, t in trains:
            lines.append(f"| {row['workload']} | {dt} | {fmt_s(t['run_s'])} | {t['overhead_over_manual']:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes and one repeat: a smoke run in seconds")
    ap.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    ap.add_argument("--dtypes", nargs="+", choices=["float32", "float64"], default=["float32", "float64"])
    ap.add_argument("--repeats", type=int, default=None, help="timed runs after warm-up (default 5, large 3)")
    ap.add_argument("--out", default=str(HERE / "results.json"))
    ap.add_argument("--table", metavar="RESULTS_JSON", help="only print the Markdown table of a results file")
    ap.add_argument("--numpy-worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.numpy_worker:
        return numpy_worker(args.numpy_worker[0], int(args.numpy_worker[1]))
    if args.table:
        print(table(json.loads(Path(args.table).read_text())))
        return

    import jax

    jax.config.update("jax_enable_x64", True)   # float64 runs must really be float64
    specs = QUICK if args.quick else WORKLOADS
    results = {"quick": args.quick, "machine": machine_info(), "load_avg_before": load_avg(), "workloads": []}
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.workloads:
            default_repeats = 1 if args.quick else (3 if name == "large" else 5)
            repeats = args.repeats or default_repeats
            results["workloads"].append(
                run_workload(name, specs[name], args.dtypes, repeats, repeats, tmp, log))
    results["load_avg_after"] = load_avg()
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(table(results))
    print(f"\nload average before {results['load_avg_before']}, after {results['load_avg_after']}; "
          f"written {args.out}")


if __name__ == "__main__":
    sys.exit(main())
