"""Where skipping the cost J pays: the compiled loop with the cost-skipping step against the plain step.

The plain step computes J at every iteration; the cost-skipping step computes it only where the history keeps it,
behind a ``lax.cond`` (shallownet.step.descend). ``fit`` compiles the second only for runs of at least
``SKIP_COSTS_FROM`` example-iterations and stacks of at most ``SKIP_COSTS_NETWORKS`` networks; this script forces
each in turn on stacks of several shapes (flower data) and prints the loop's own time (``run_s``: no compile, the
program is compiled before), alternating the two within each repeat, and the load average at the start and end.

    python benchmarks/bench_skip_costs.py               # the table of docs/benchmarks.md
    python benchmarks/bench_skip_costs.py --quick       # proves it runs
"""

import argparse
import os
import statistics

import numpy as np

from shallownet import config, data, fit, sweep

# (name, hidden sizes, seeds per size, iterations, dtype)
SHAPES = [
    ("1 x n_h 4, float64", (4,), 1, 200_000, "float64"),
    ("1 x n_h 4, float32", (4,), 1, 200_000, "float32"),
    ("1 x n_h 50, float64", (50,), 1, 50_000, "float64"),
    ("8 x n_h 4, float64", (4,), 8, 50_000, "float64"),
    ("8 x n_h 50, float32", (50,), 8, 20_000, "float32"),
    ("7 sizes x 1, float64", (1, 2, 3, 4, 5, 20, 50), 1, 20_000, "float64"),
    ("7 sizes x 8, float32", (1, 2, 3, 4, 5, 20, 50), 8, 5_000, "float32"),
    ("7 sizes x 8, float64", (1, 2, 3, 4, 5, 20, 50), 8, 5_000, "float64"),
]


def loop_seconds(configs, X, Y, skip):
    """The loop's time of one training with the cost-skipping step forced on or off."""
    fit.SKIP_COSTS_FROM, fit.SKIP_COSTS_NETWORKS = (0, 10**9) if skip else (float("inf"), 0)
    timings = {}
    sweep.train_grid(configs, X, Y, baseline=False, timings=timings)
    return timings["run_s"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each, alternating (default 3)")
    parser.add_argument("--quick", action="store_true", help="500 iterations, one repeat: proves the script runs")
    args = parser.parse_args()
    X, Y = data.flower()
    saved = fit.SKIP_COSTS_FROM, fit.SKIP_COSTS_NETWORKS
    print(f"load average at the start {os.getloadavg()}")
    print("| stack | iterations | skip s | plain s | skip / plain |\n|---|---|---|---|---|")
    for name, sizes, seeds, iterations, dtype in SHAPES:
        iterations = 500 if args.quick else iterations
        settings = {"hidden_units": sizes, "iterations": iterations, "dtype": dtype, "init": "random"}
        configs = config.sweep_grid(settings, seeds=seeds)
        for skip in (True, False):  # compiles both programs first
            loop_seconds(configs, X, Y.astype(np.float64), skip)
        times = {True: [], False: []}
        for repeat in range(1 if args.quick else args.repeats):
            for skip in (True, False) if repeat % 2 == 0 else (False, True):
                times[skip].append(loop_seconds(configs, X, Y.astype(np.float64), skip))
        skip_s, plain_s = statistics.median(times[True]), statistics.median(times[False])
        print(f"| {name} | {iterations} | {skip_s:.2f} | {plain_s:.2f} | {skip_s / plain_s:.2f} |", flush=True)
    fit.SKIP_COSTS_FROM, fit.SKIP_COSTS_NETWORKS = saved
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
