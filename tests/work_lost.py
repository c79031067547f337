"""How much work ``shallownet train`` loses to ``kill -9`` at random moments (and helpers for process tests).

    python tests/work_lost.py --tries 20 --checkpoint-every 10

Each try starts a long run (flower, float64) in a fresh folder, waits for its
first checkpoint, kills it with SIGKILL at a moment drawn uniformly from the
next 2.5 checkpoint intervals, and measures the work lost: the seconds from the
last completed save (model.npz's modification time) to the kill, and those
seconds in iterations at the rate seen between the last two saves (or, with
one save, over the first interval). The model
left behind must load. SIGKILL cannot be caught: what it costs is bounded only
by how often the run saves.
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def environment(cache=None):
    """The subprocess's environment: this tree first on the path, a private compile cache."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if cache is not None:
        env["JAX_COMPILATION_CACHE_DIR"] = str(cache)
    return env


def start(out, *flags, cache=None, prefix=()):
    """``python -m shallownet.cli train --out OUT FLAGS...`` as a real process (stdout, stderr piped)."""
    command = [*prefix, sys.executable, "-m", "shallownet.cli", "train", "--out", str(out), *map(str, flags)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(cache))


def wait_for(path, process, timeout=120.0):
    """Wait until ``path`` exists (the run's first checkpoint); fail if the process ends first."""
    deadline = time.monotonic() + timeout
    while not Path(path).exists():
        if process.poll() is not None:
            raise AssertionError(
                f"the run ended (code {process.returncode}) before {path} appeared: {process.stderr.read()}"
            )
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"no {path} after {timeout} s")
        time.sleep(0.01)


def read_until(fd, pattern, process, timeout=120.0):
    """What ``fd`` (a pty or a pipe) shows until ``pattern`` (bytes regex) appears; fails if the process ends first."""
    import re
    import select

    seen, deadline = b"", time.monotonic() + timeout
    while not re.search(pattern, seen):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"no {pattern!r} (code {process.returncode}): {seen[-800:]!r}")
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:  # a pty whose other end closed
                break
    return seen


def read_rest(fd):
    """What is left to read on ``fd`` once the process has ended."""
    rest = b""
    while True:
        try:
            more = os.read(fd, 4096)
        except OSError:  # a pty whose other end closed
            return rest
        if not more:
            return rest
        rest += more


def one_try(folder, interval, rng, cache=None):
    """Kill one run at a random moment: dict of lost seconds and iterations, and the saved iteration."""
    from shallownet import checkpoint

    out = Path(folder) / "run"
    process = start(out, "--iterations", 10**10, "--checkpoint-every", interval, "--dtype", "float64", cache=cache)
    model = out / "model.npz"
    wait_for(model, process)
    kill_at = time.monotonic() + rng.uniform(0, 2.5 * interval)
    saves, last_mtime = [], None  # (completion time, iteration) of each save seen
    while time.monotonic() < kill_at:
        mtime = os.stat(model).st_mtime_ns
        if mtime != last_mtime:
            saves.append((mtime / 1e9, checkpoint.load(model).iteration))
            last_mtime = mtime
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    killed = time.time()
    process.communicate()
    saved_at = os.stat(model).st_mtime_ns / 1e9
    saved = checkpoint.load(model).iteration  # what is left must load
    if not saves or saves[-1][1] != saved:
        saves.append((saved_at, saved))
    # Killed before a second save, the first one came one interval after training began.
    rate = (saves[-1][1] - saves[-2][1]) / (saves[-1][0] - saves[-2][0]) if len(saves) > 1 else saved / interval
    lost = killed - saved_at
    return {
        "lost_seconds": lost,
        "lost_iterations": lost * rate,
        "saved_iteration": saved,
        "returncode": process.returncode,
        "leftovers": sorted(p.name for p in out.glob(".*.tmp")),
    }


def measure(tries, interval, seed=0):
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as cache:
        results = []
        for _ in range(tries):
            with tempfile.TemporaryDirectory() as folder:
                results.append(one_try(folder, interval, rng, cache=cache))
        return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--checkpoint-every", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    results = measure(args.tries, args.checkpoint_every, args.seed)
    print(f"{'try':>4} {'lost s':>8} {'lost iterations':>16} {'saved iteration':>16}  leftovers")
    for i, r in enumerate(results, 1):
        print(
            f"{i:>4} {r['lost_seconds']:>8.2f} {r['lost_iterations']:>16.0f} {r['saved_iteration']:>16}  "
            f"{' '.join(r['leftovers']) or '-'}"
        )
    worst = max(results, key=lambda r: r["lost_seconds"])
    print(
        f"largest work lost over {len(results)} kills (checkpoint every {args.checkpoint_every} s): "
        f"{worst['lost_seconds']:.2f} s, about {worst['lost_iterations']:.0f} iterations"
    )


if __name__ == "__main__":
    main()
