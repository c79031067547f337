"""Data-parallel training on N simulated CPU devices: correctness and overhead.

On a CPU the N "devices" share the same cores, so this measures what sharding
costs (the per-step all-reduce, padding), not a speed-up: each row compares
``shallownet.train.train(devices=N)`` with one-device
``shallownet.train.train`` on the same data, float64 (max relative difference
of params and costs) and the timing dtype (µs per iteration, best of 3 after a
compile-and-warm-up run).

    python benchmarks/bench_devices.py                 # writes benchmarks/results_devices.json
    python benchmarks/bench_devices.py --devices 1 2 --workloads flower
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--devices", type=int, nargs="+", default=[1, 2, 4, 8])
ap.add_argument("--workloads", nargs="+", default=["flower", "large"], choices=["flower", "large"])
ap.add_argument("--out", default=str(Path(__file__).with_name("results_devices.json")))
args = ap.parse_args()
LOAD_BEFORE, STARTED = os.getloadavg()[0], time.strftime("%Y-%m-%d %H:%M", time.gmtime())

import jax  # noqa: E402  (the device count must be set before JAX starts)

jax.config.update("jax_num_cpu_devices", max(args.devices))  # CPU backend only; GPUs are real
jax.config.update("jax_enable_x64", True)

import numpy as np  # noqa: E402

import manual  # noqa: E402
from shallownet import data, train  # noqa: E402

# name: (m, n_h, timing dtype, timed iterations, float64 check iterations)
WORKLOADS = {
    "flower": (400, 4, "float32", 2000, 1000),
    "large": (40_000, 50, "float32", 100, 30),
}


def timed(fn, *a, repeats=3, **k):
    """Best of ``repeats`` wall times after one compile-and-warm-up call (the machine may be shared)."""
    fn(*a, **k)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*a, **k)
        best = min(best, time.perf_counter() - start)
    return best


def rel_diff(run, ref):
    (params, costs), (params_ref, costs_ref) = run, ref
    diffs = [
        np.linalg.norm(np.asarray(params[k]) - np.asarray(params_ref[k])) / np.linalg.norm(np.asarray(params_ref[k]))
        for k in params_ref
    ]
    return float(max([*diffs, np.max(np.abs(costs - costs_ref) / np.abs(costs_ref))]))


def bench(name, gradients):
    m, n_h, dtype, iterations, check_iterations = WORKLOADS[name]
    X, Y = data.flower(m=m)
    params0 = manual.init_params(jax.random.key(0), X.shape[0], n_h, Y.shape[0], 0.01, np.float64)
    common = dict(gradients=gradients, chunk=iterations)
    base_s = timed(train.train, params0, X, Y, iterations=iterations, dtype=dtype, **common)
    ref64 = train.train(params0, X, Y, iterations=check_iterations, **common)
    rows = []
    for n in args.devices:
        sec = timed(train.train, params0, X, Y, devices=n, iterations=iterations, dtype=dtype, **common)
        run64 = train.train(params0, X, Y, devices=n, iterations=check_iterations, **common)
        rows.append(
            {
                "workload": name,
                "m": m,
                "n_h": n_h,
                "gradients": gradients,
                "devices": n,
                "dtype": dtype,
                "iterations": iterations,
                "us_per_iteration": 1e6 * sec / iterations,
                "one_device_train_us_per_iteration": 1e6 * base_s / iterations,
                "overhead_vs_train": sec / base_s,
                "float64_max_rel_diff": rel_diff(run64, ref64),
                "float64_check_iterations": check_iterations,
            }
        )
    return rows


def main():
    rows = [
        row
        for workload in args.workloads
        for gradients in ("manual", "reference")
        for row in bench(workload, gradients)
    ]
    head = (
        f"{'workload':9} {'gradients':9} {'N':>2} {'us/iter':>9} {'train 1-dev':>11} {'x train':>8} "
        f"{'f64 rel diff':>12}"
    )
    print(head)
    for row in rows:
        print(
            f"{row['workload']:9} {row['gradients']:9} {row['devices']:2d} {row['us_per_iteration']:9.1f} "
            f"{row['one_device_train_us_per_iteration']:11.1f} {row['overhead_vs_train']:8.2f} "
            f"{row['float64_max_rel_diff']:12.1e}"
        )
    meta = {
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "simulated_devices": len(jax.devices()),
        "load_average_1min_before": LOAD_BEFORE,  # the machine before the run; after it counts the run itself
        "load_average_1min_after": os.getloadavg()[0],
        "date_utc": STARTED,
        "note": "N simulated CPU devices share the same cores: overhead, not speed-up",
    }
    Path(args.out).write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
