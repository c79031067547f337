"""Whole commands as users run them, two installs side by side, alternating, against the course's numpy loop.

Times, from process start to exit, each command of COMMANDS for every install
given (``--install NAME=PATH``, repeatable; by default this tree's
.venv/bin/shallownet alone: to compare a change, install the commit before it in
a venv of its own and pass both), with a cold compile cache (a fresh, empty
JAX_COMPILATION_CACHE_DIR for every run) and a warm one (a cache of its own
per install, filled by one untimed run first), and the course's numpy loop
doing the same training as a plain Python script. Contenders alternate within
each repeat (the order rotates), so a change in the machine's load hits all of
them alike; the load average is printed at the start and the end.

    python benchmarks/bench_commands.py --install old=../before/.venv/bin/shallownet \
        --install new=.venv/bin/shallownet                   # the figures: run on a quiet machine
    python benchmarks/bench_commands.py --quick --repeats 1  # proves it works (tiny iteration counts)
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INSTALLS = {"this tree": str(ROOT / ".venv" / "bin" / "shallownet")}
SIZES = ["1", "2", "3", "4", "5", "20", "50"]
# name -> (shallownet arguments, iterations, the numpy script's networks: [(n_h, seed or "course")])
COMMANDS = {
    "train flower": (["train", "--data", "flower"], 10000, [(4, "course")]),
    "sweep course table": (["sweep", "--hidden-units", *SIZES], 5000, [(int(n), "course") for n in SIZES]),
    "sweep 7 sizes x 8 seeds f32": (
        ["sweep", "--hidden-units", *SIZES, "--seeds", "8", "--dtype", "float32"],
        5000,
        [(int(n), seed) for n in SIZES for seed in range(8)],
    ),
}
QUICK_ITERATIONS = 200

# The course's nn_model loop, one network after another, as a learner runs it (float64 numpy).
NUMPY_SCRIPT = """
import json, sys
import numpy as np
networks, iterations = json.loads(sys.argv[1]), int(sys.argv[2])
rng = np.random.RandomState(1)
m, N, D = 400, 200, 2
X, Y = np.zeros((m, D)), np.zeros((m, 1), dtype="uint8")
for j in range(2):
    ix = range(N * j, N * (j + 1))
    t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + rng.randn(N) * 0.2
    r = 4 * np.sin(4 * t) + rng.randn(N) * 0.2
    X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
    Y[ix] = j
X, Y = X.T, Y.T
for n_h, seed in networks:
    if seed == "course":
        np.random.seed(2)
        W1, W2 = np.random.randn(n_h, 2) * 0.01, np.random.randn(1, n_h) * 0.01
    else:
        g = np.random.default_rng(seed)
        W1, W2 = g.standard_normal((n_h, 2)) * 0.01, g.standard_normal((1, n_h)) * 0.01
    b1, b2 = np.zeros((n_h, 1)), np.zeros((1, 1))
    for i in range(iterations):
        A1 = np.tanh(np.dot(W1, X) + b1)
        A2 = 1 / (1 + np.exp(-(np.dot(W2, A1) + b2)))
        cost = -np.sum(np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)) / m
        dZ2 = A2 - Y
        dW2, db2 = np.dot(dZ2, A1.T) / m, np.sum(dZ2, axis=1, keepdims=True) / m
        dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
        dW1, db1 = np.dot(dZ1, X.T) / m, np.sum(dZ1, axis=1, keepdims=True) / m
        W1, b1, W2, b2 = W1 - 1.2 * dW1, b1 - 1.2 * db1, W2 - 1.2 * dW2, b2 - 1.2 * db2
    print(n_h, seed, float(np.mean((A2 > 0.5) == Y)) * 100)
"""


def run_once(argv, env):
    """Wall seconds of one process, start to exit; raises when it fails."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])}... exited {done.returncode}: {done.stderr.strip()[-400:]}")
    return elapsed


def contenders(installs, command, iterations, work):
    """{name: (argv builder, cache)}: each install cold and warm, and the numpy script."""
    args, _, networks = COMMANDS[command]
    out = {}
    for name, binary in installs.items():
        for cache in ("cold", "warm"):
            out[f"{name} {cache}"] = (
                # A fresh --out each run: a folder holding a model is refused without --overwrite (issue 21),
                # a flag an older install does not know.
                lambda binary=binary: [
                    *(binary, *args, "--iterations", str(iterations)),
                    *("--out", tempfile.mkdtemp(dir=work, prefix="out-")),
                ],
                cache,
            )
    script = [sys.executable, "-c", NUMPY_SCRIPT, json.dumps(networks), str(iterations)]
    out["numpy"] = (lambda: script, None)
    return out


def environment(cache, install, work):
    """The environment of one run: a fresh cache (cold), the install's own filled one (warm), or none."""
    env = dict(os.environ)
    if cache == "cold":
        folder = Path(tempfile.mkdtemp(dir=work, prefix="cold-"))
    elif cache == "warm":
        folder = work / f"warm-{install}"
    else:
        return env
    env["JAX_COMPILATION_CACHE_DIR"] = str(folder)
    env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0.1"
    return env


def measure(installs, repeats, quick):
    """{command: {contender: [seconds per repeat]}}, contenders alternating with a rotating order."""
    results = {}
    for command, (_, iterations, _) in COMMANDS.items():
        iterations = QUICK_ITERATIONS if quick else iterations
        with tempfile.TemporaryDirectory(prefix="bench-commands-") as folder:
            work = Path(folder)
            named = contenders(installs, command, iterations, work)
            for name, (argv, cache) in named.items():  # fill the warm caches, untimed
                if cache == "warm":
                    run_once(argv(), environment(cache, name.split()[0], work))
            times = {name: [] for name in named}
            order = list(named)
            for repeat in range(repeats):
                for name in order[repeat % len(order) :] + order[: repeat % len(order)]:
                    argv, cache = named[name]
                    times[name].append(run_once(argv(), environment(cache, name.split()[0], work)))
                    shutil.rmtree(work / "out", ignore_errors=True)
                    for cold in work.glob("cold-*"):
                        shutil.rmtree(cold, ignore_errors=True)
            results[command] = times
            print(f"  {command}: done", file=sys.stderr, flush=True)
    return results


def table(results, installs):
    """Markdown: per command and cache, the median of every install, the ratios to the first and to numpy."""
    names = list(installs)
    head = "| command | cache | " + " | ".join(f"{n} s" for n in names) + " | numpy s | "
    head += (
        " | ".join(f"{n} / {names[0]}" for n in names[1:]) + " | " + " | ".join(f"numpy / {n}" for n in names) + " |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for command, times in results.items():
        numpy = statistics.median(times["numpy"])
        for cache in ("cold", "warm"):
            medians = [statistics.median(times[f"{n} {cache}"]) for n in names]
            cells = [f"{value:.2f}" for value in medians] + [f"{numpy:.2f}"]
            cells += [f"{value / medians[0]:.2f}" for value in medians[1:]]
            cells += [f"{numpy / value:.2f}" for value in medians]
            lines.append(f"| {command} | {cache} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--install", action="append", metavar="NAME=PATH", help="a shallownet binary (repeatable)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per contender (default 5)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ITERATIONS} iterations: proves the script runs")
    parser.add_argument("--json", type=Path, help="also write every time to this file")
    args = parser.parse_args(argv)
    installs = dict(item.split("=", 1) for item in args.install) if args.install else DEFAULT_INSTALLS
    for name, binary in installs.items():
        if not Path(binary).exists():
            parser.error(f"install {name}: no {binary}")
    load_start = os.getloadavg()
    results = measure(installs, args.repeats, args.quick)
    load_end = os.getloadavg()
    print(table(results, installs))
    print(f"\nload average at the start {load_start}, at the end {load_end}; {os.cpu_count()} CPUs")
    if args.json:
        record = {"installs": installs, "repeats": args.repeats, "quick": args.quick, "times": results}
        args.json.write_text(json.dumps({**record, "load": [load_start, load_end]}, indent=1))


if __name__ == "__main__":
    main()
