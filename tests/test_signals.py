"""Real processes, real signals: SIGTERM, SIGHUP and Ctrl-C save and say so; kill -9 loses seconds only.

Each test starts ``python -m shallownet.cli train`` as a subprocess, waits for
its first checkpoint, signals it, and checks the exit code (128 + signal), the
one line on stderr, and that the model left behind resumes to exactly what an
uninterrupted run computes (float64, CPU).
"""

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from shallownet import checkpoint, cli
from shallownet import run as run_module
from work_lost import environment, one_try, start, wait_for

LONG = ["--iterations", 10**9, "--hidden-units", 3, "--dtype", "float64", "--checkpoint-every", 0.3]
INTERRUPTED = re.compile(
    r"shallownet: interrupted by (SIG[A-Z]+) after iteration (\d+); saved (.+), "
    r"continue with --resume"
)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One compile cache for this module's processes: each start after the first skips XLA's compile."""
    return tmp_path_factory.mktemp("xla-cache")


def same_model(a, b):
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k], err_msg=k)
    for x, y in zip(a.history.arrays(), b.history.arrays()):
        np.testing.assert_array_equal(x, y)


def resumes_identically(out, tmp_path, more=300):
    """--resume to N + more iterations, in this process; equal bit for bit to one uninterrupted run."""
    saved = checkpoint.load(out)
    total = saved.iteration + more
    assert cli.main(["train", "--out", str(out), "--resume", "--iterations", str(total)]) == 0
    whole = tmp_path / "whole"
    run_module.train_run(saved.config.replace(iterations=total), whole)  # the same settings, never stopped
    same_model(checkpoint.load(out), checkpoint.load(whole))


def stopped(process, timeout=60):
    _, err = process.communicate(timeout=timeout)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return process.returncode, lines[0]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_stop_signal_saves_the_last_chunk_and_exits_128_plus_its_number(tmp_path, cache, signum):
    out = tmp_path / "run"
    process = start(out, *LONG, cache=cache)
    wait_for(out / "model.npz", process)
    process.send_signal(signum)
    code, line = stopped(process)
    assert code == 128 + signum
    found = INTERRUPTED.fullmatch(line)
    assert found and found[1] == signal.Signals(signum).name and found[3] == str(out / "model.npz"), line
    model = checkpoint.load(out)
    summary = json.loads((out / "summary.json").read_text())
    assert model.iteration == int(found[2]) == summary["iterations"] > 0
    assert model.status == summary["status"] == "interrupted"
    assert sorted(os.listdir(out)) == [".shallownet.lock", "cost.png", "model.npz", "summary.json"]
    if signum == signal.SIGTERM:
        resumes_identically(out, tmp_path)
    else:
        assert cli.main(["train", "--out", str(out), "--resume", "--iterations", str(model.iteration + 10)]) == 0


def test_a_burst_of_signals_during_the_save_does_not_abort_it(tmp_path, cache):
    out = tmp_path / "run"
    process = start(out, *LONG, cache=cache)
    wait_for(out / "model.npz", process)
    process.send_signal(signal.SIGTERM)
    for signum in [signal.SIGINT, signal.SIGTERM, signal.SIGHUP] * 10:  # impatient: again and again
        time.sleep(0.005)
        if process.poll() is not None:
            break
        process.send_signal(signum)
    code, line = stopped(process)
    # Signals that arrive while Python waits on a compiled chunk are handled in
    # signal-number order (CPython's rule), so the "first" is any of those sent.
    name = signal.Signals(code - 128).name
    assert name in ("SIGTERM", "SIGINT", "SIGHUP") and line.startswith(f"shallownet: interrupted by {name} after")
    model = checkpoint.load(out)
    assert model.status == "interrupted" and f"after iteration {model.iteration};" in line
    assert json.loads((out / "summary.json").read_text())["iterations"] == model.iteration
    assert not list(out.glob(".*.tmp"))


def test_kill_9_loses_only_the_last_seconds_and_the_run_resumes_identically(tmp_path, cache):
    interval = 0.5
    result = one_try(tmp_path, interval, random.Random(1), cache=cache)
    assert result["returncode"] == -signal.SIGKILL
    # The kill comes at most 2.5 intervals after the first save; what is lost is
    # the time since the last save: one interval plus a chunk (and this machine's load).
    assert result["lost_seconds"] <= interval + 2.0, result
    out = tmp_path / "run"
    (out / ".model.npz.killed1.tmp").write_bytes(b"PK\x03\x04 half a model")  # as a kill mid-write leaves
    resumes_identically(out, tmp_path)
    assert not list(out.glob(".*.tmp"))


def _unshare_works():
    return shutil.which("unshare") and subprocess.run(["unshare", "--user", "true"]).returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="needs unshare --user (a user namespace)")
@pytest.mark.parametrize("where", ["the folder", "its parent"])
def test_a_read_only_out_is_refused_before_training(where, cache):
    # As root the kernel ignores permissions; in a user namespace we are
    # "nobody" and it enforces them. The folder must be reachable by nobody.
    base = Path(tempfile.mkdtemp(prefix="shallownet-ro-", dir="/tmp"))
    try:
        base.chmod(0o755)
        ro = base / "ro"
        ro.mkdir()
        (ro / "model.npz").write_bytes(b"an earlier model")
        ro.chmod(0o555)
        out = ro if where == "the folder" else ro / "new"
        command = [
            "unshare",
            "--user",
            sys.executable,
            "-m",
            "shallownet.cli",
            "train",
            "--out",
            str(out),
            "--iterations",
            "10",
        ]
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, env=environment(cache), timeout=120)
        assert done.returncode == 1, done.stderr
        assert done.stderr.strip().splitlines() == [
            f"shallownet: error: cannot write to {ro if where == 'the folder' else f'{ro} (to create {out})'}: "
            "Permission denied; choose another --out"
        ]
        assert (ro / "model.npz").read_bytes() == b"an earlier model" and sorted(os.listdir(ro)) == ["model.npz"]
        assert time.monotonic() - started < 30  # refused up front, not after training
    finally:
        os.chmod(base / "ro", 0o755)
        shutil.rmtree(base)
