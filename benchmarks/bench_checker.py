"""What the checker's sandbox costs a teacher: a generated class folder checked with and without it.

    python benchmarks/bench_checker.py                 # 40 files, --jobs 2, 3 repeats, every isolation here
    python benchmarks/bench_checker.py --files 4 --repeats 1 --kinds none   # a smoke run

Each run is the teacher's command, ``python -m checker FOLDER --jobs 2 --seed 1 --sandbox KIND`` in a fresh
process (so the JAX start-up and the truth's computation are in every figure, as a teacher meets them),
timed by its wall clock. The folder holds learner-style files: right ones, ones with a slip, ones that
raise. The table gives the median and the spread of the repeats per isolation, seconds per file, and the
load average before each kind's runs: figures are worth keeping only from a quiet machine (load < 0.5).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RIGHT = """import numpy as np


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dW2 = np.dot(dZ2, cache["A1"].T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - np.power(cache["A1"], 2))
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""
VARIANTS = {
    "right": RIGHT,
    "slip": RIGHT.replace("dW1 = np.dot(dZ1, X.T) / m", "dW1 = np.dot(dZ1, X.T)"),
    "raises": RIGHT.replace('dZ2 = cache["A2"] - Y', 'dZ2 = cache["a2"] - Y'),
}


def write_class(folder: Path, files: int) -> None:
    names = list(VARIANTS)
    for i in range(files):
        kind = names[i % len(names)] if i % 2 else "right"  # half right, the rest slips and raisers
        (folder / f"learner_{i:03d}_{kind}.py").write_text(VARIANTS[kind], encoding="utf-8")


def time_run(folder: Path, kind: str, jobs: int) -> float:
    command = [sys.executable, "-m", "checker", str(folder), "--jobs", str(jobs), "--seed", "1", "--sandbox", kind]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"--sandbox {kind} failed (exit {done.returncode}): {done.stderr.strip()[-400:]}")
    return seconds


def available_kinds() -> list[str]:
    from checker import sandbox

    return [kind for kind in ("bubblewrap", "unshare") if not sandbox._why_not(kind)] + ["none"]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--kinds", nargs="+", help="isolations to time (default: every one that starts here)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    kinds = args.kinds or available_kinds()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-checker-") as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        write_class(folder, args.files)
        for kind in kinds:
            load = os.getloadavg()[0]
            times = [time_run(folder, kind, args.jobs) for _ in range(args.repeats)]
            rows.append(
                {
                    "isolation": kind,
                    "median_s": statistics.median(times),
                    "min_s": min(times),
                    "max_s": max(times),
                    "per_file_s": statistics.median(times) / args.files,
                    "load_before": load,
                }
            )
    print(f"{args.files} files, --jobs {args.jobs}, {args.repeats} repeats, cpus {os.cpu_count()}")
    header = f"{'isolation':<12} {'median s':>9} {'min s':>7} {'max s':>7} {'s/file':>7} {'load before':>12}"
    print(header)
    for row in rows:
        print(
            f"{row['isolation']:<12} {row['median_s']:>9.2f} {row['min_s']:>7.2f} {row['max_s']:>7.2f} "
            f"{row['per_file_s']:>7.3f} {row['load_before']:>12.2f}"
        )
    result = {"files": args.files, "jobs": args.jobs, "repeats": args.repeats, "rows": rows}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
