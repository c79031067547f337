"""A finished model is only ever replaced on purpose (issue 21): refusals, the run lock, full disks, early signals.

The full-disk tests run in a real, small tmpfs, mounted in a user and mount namespace (util-linux
``unshare -rm``, no privileges needed); the signal tests start real processes and signal them while
they start up, before or during JAX's import.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from shallownet import checkpoint, cli
from test_cli import FAST, run
from work_lost import ROOT, environment


def one_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def files_of(folder):
    """{relative path: bytes} of every file under ``folder``."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished run's folder (flower, 300 iterations), copied by the tests that try to replace it."""
    out = tmp_path_factory.mktemp("finished") / "run"
    assert cli.main(["train", "--out", str(out), *FAST]) == 0
    return out


@pytest.fixture
def earlier(finished, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(finished, out)
    return out, files_of(out)


# --------------------------------------------------------------------------- refused unless asked


def test_a_new_run_into_a_folder_holding_a_finished_model_is_refused_naming_overwrite(capsys, earlier):
    out, before = earlier
    code, _, err = run(capsys, "train", "--out", out, *FAST)
    line = one_line(err)
    assert code == 1 and "holds a model (finished, iteration 300)" in line
    assert "--overwrite" in line and "--resume" in line
    assert files_of(out) == before
    code, _, _ = run(capsys, "train", "--out", out, "--overwrite", "--iterations", "200", "--hidden-units", "2")
    assert code == 0 and checkpoint.load(out / "model.npz").iteration == 200


def test_resume_and_overwrite_together_are_a_usage_error(capsys, earlier):
    out, before = earlier
    code, _, err = run(capsys, "train", "--out", out, "--resume", "--overwrite")
    assert code == 2 and "not allowed with argument" in one_line(err)
    assert files_of(out) == before


@pytest.mark.parametrize("command", [["train", *FAST], ["sweep", "--hidden-units", "2"], ["predict", "--model", "M"]])
def test_an_empty_out_is_refused_instead_of_meaning_the_default_folder(capsys, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    if command[0] == "predict":
        command = ["predict", "--model", "runs/flower", "--data", "flower"]
    code, _, err = run(capsys, *command, "--out", "")
    assert code == 2 and "--out: an empty path" in one_line(err)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "spelling",
    ["{run}/model.npz", "{run}/./model.npz", "{run}/../run/summary.json", "{run}/cost.png", "{data}"],
)
def test_predict_never_writes_over_the_runs_own_files_however_spelled(capsys, earlier, tmp_path, spelling):
    out, before = earlier
    data = tmp_path / "points.csv"
    data.write_text("x1,x2\n0.5,1.5\n-1,2\n")
    data_before = data.read_bytes()
    target = spelling.format(run=out, data=data)
    code, _, err = run(capsys, "predict", "--model", out, "--data", data, "--out", target)
    assert code == 1 and "--out" in one_line(err)
    assert files_of(out) == before and data.read_bytes() == data_before
    # Beside the model, a file of another name is the user's: written.
    assert run(capsys, "predict", "--model", out, "--data", data, "--out", out / "predictions.csv")[0] == 0
    assert (out / "predictions.csv").read_text().splitlines()[0] == "prediction"


def test_a_killed_saves_staging_folder_is_removed_and_a_committed_one_finished(capsys, earlier):
    out, _ = earlier
    (out / ".shallownet-save-k1ll3d").mkdir()  # killed while writing: never committed
    (out / ".shallownet-save-k1ll3d" / "model.npz").write_bytes(b"half")
    commit = out / ".shallownet-commit"  # killed after the commit, before the old cost.png was removed
    commit.mkdir()
    (commit / ".replaced").mkdir()
    (commit / ".manifest.json").write_text(json.dumps({"family": ["cost.png"], "written": []}))
    code, _, err = run(capsys, "train", "--out", out, "--resume", "--iterations", "400")
    assert code == 0, err
    assert sorted(n for n in os.listdir(out) if n.startswith(".")) == [".shallownet.lock"]
    assert checkpoint.load(out).iteration == 400 and json.loads((out / "summary.json").read_text())["iterations"] == 400


SWEEP = ["sweep", "--hidden-units", "2", "3", "--iterations", "200", "--no-plots"]


def test_a_sweep_into_a_folder_in_use_or_holding_a_sweep_is_refused(capsys, tmp_path):
    import fcntl

    out = tmp_path / "sweep"
    assert run(capsys, *SWEEP, "--out", out)[0] == 0
    before = files_of(out)
    code, _, err = run(capsys, *SWEEP, "--out", out)
    assert code == 1 and "already holds a sweep's results" in one_line(err) and "--overwrite" in err
    with open(out / ".shallownet.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a sweep in progress holds it
        code, _, err = run(capsys, *SWEEP, "--out", out, "--overwrite")
    assert code == 1 and f"another shallownet run is writing to {out}" in one_line(err)
    assert files_of(out) == before
    assert run(capsys, *SWEEP, "--out", out, "--overwrite")[0] == 0


# --------------------------------------------------------------------------- a full disk


def in_small_disk(tmp_path, script, size="4m"):
    """Run ``script`` (Python) with a fresh tmpfs of ``size`` at DISK (in its own user and mount namespace)."""
    if shutil.which("unshare") is None:
        pytest.skip("util-linux unshare is not installed")
    disk = tmp_path / "disk"
    disk.mkdir()
    body = f"import json, os, sys\nDISK = {str(disk)!r}\n" + textwrap.dedent(script)
    command = ["unshare", "-rm", "sh", "-c", f'mount -t tmpfs -o size={size} none "$0" && exec "$1" -c "$2"']
    done = subprocess.run(
        [*command, str(disk), sys.executable, body], capture_output=True, text=True, env=environment(), timeout=300
    )
    if "mount:" in done.stderr and done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


# One process (one JAX import) on one small disk runs both cases, one after the other; a test reads each.
FULL_DISK = """
import contextlib, io, shutil
from pathlib import Path
from shallownet import checkpoint, cli
from shallownet import run as run_module


def fill(leave):
    room = os.statvfs(DISK).f_bavail * os.statvfs(DISK).f_frsize
    with open(os.path.join(DISK, "filler"), "wb") as f:
        f.write(b"x" * max(0, room - leave))


def nearly_full():
    out = Path(DISK) / "kept"
    shutil.copytree(FINISHED, out)
    before = {n: (out / n).read_bytes().hex() for n in os.listdir(out)}
    fill(40 << 10)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(["train", "--out", str(out), "--overwrite", "--iterations", "200", "--dtype", "float64"])
    after = {n: (out / n).read_bytes().hex() for n in os.listdir(out)}
    return {"code": code, "err": err.getvalue(), "same": before == after, "names": sorted(after)}


def fills_mid_run():
    out = Path(DISK) / "run"
    filled = []

    def progress(done, cost):
        if not filled and (out / "summary.json").exists():  # after the first checkpoint: the disk fills up
            fill(0)
            filled.append(done)

    error = None
    try:
        run_module.train_run(
            {"hidden_units": 3, "dtype": "float64", "iterations": 10**8, "chunk": 200, "checkpoint_every": 0.2},
            out, progress=progress,
        )
    except ValueError as e:
        error = str(e)
    summary = json.loads((out / "summary.json").read_text())
    model = checkpoint.load(out / "model.npz")
    names = sorted(n for n in os.listdir(out) if not n.startswith(".shallownet.lock"))
    return {"error": error, "status": summary["status"], "described": summary["iterations"],
            "model": model.iteration, "names": names}


seen = {"nearly_full": nearly_full()}
shutil.rmtree(Path(DISK) / "kept")
os.remove(os.path.join(DISK, "filler"))
seen["fills_mid_run"] = fills_mid_run()
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def full_disk(finished, tmp_path_factory):
    return in_small_disk(tmp_path_factory.mktemp("full"), f"FINISHED = {str(finished)!r}\n" + FULL_DISK)


def test_a_nearly_full_disk_refuses_the_run_before_writing_and_keeps_the_old_model(full_disk):
    seen = full_disk["nearly_full"]
    assert seen["code"] == 1 and seen["same"], seen
    line = one_line(seen["err"])
    assert "not enough space for" in line and "nothing was written" in line and "Errno" not in line


def test_a_disk_that_fills_mid_run_leaves_agreeing_files_and_no_running_status(full_disk):
    seen = full_disk["fills_mid_run"]
    # Refused before writing (the room is visibly gone) or the disk filled while writing: the same outcome.
    assert seen["error"] and ("not enough space" in seen["error"] or "the disk filled" in seen["error"]), seen
    assert "the last checkpoint" in seen["error"] and "Errno" not in seen["error"]
    assert seen["status"] == "failed" and seen["described"] == seen["model"] > 0
    assert seen["names"] == ["cost.png", "model.npz", "summary.json"]


# --------------------------------------------------------------------------- signals while starting


# From 0.2 s: a signal inside the interpreter's own start-up, before any line of shallownet runs (about 0.1 s
# on a loaded 2-core machine), gets Python's default handling; docs/training.md says so.
@pytest.mark.parametrize(
    ("signum", "after"),
    [(signal.SIGINT, 0.2), (signal.SIGINT, 0.3), (signal.SIGINT, 0.5), (signal.SIGINT, 0.8)]
    + [(signal.SIGTERM, 0.4), (signal.SIGHUP, 0.4)],
)
def test_an_early_signal_exits_128_plus_n_with_one_line_and_never_replaces_the_model(earlier, tmp_path, signum, after):
    out, before = earlier
    command = [sys.executable, "-m", "shallownet.cli", "train", "--out", str(out), "--overwrite"]
    command += ["--iterations", "3000", "--hidden-units", "3", "--dtype", "float64"]
    env = environment(tmp_path / "xla-cache")  # a cold cache: the run is still starting at 0.8 s
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    time.sleep(after)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, err
    line = one_line(err)
    assert line.startswith(f"shallownet: interrupted by {signal.Signals(signum).name}"), line
    if "saved" not in line:  # stopped before training began: the earlier model untouched
        assert files_of(out) == before


def test_a_resume_right_after_a_kill_mid_save_continues_the_committed_model(capsys, earlier):
    """Killed after its commit, before model.npz was moved into place: the resume finds the committed model."""
    out, _ = earlier
    commit = out / ".shallownet-commit"
    commit.mkdir()
    (commit / ".replaced").mkdir()
    os.rename(out / "model.npz", commit / "model.npz")
    (commit / ".manifest.json").write_text(json.dumps({"family": ["model.npz"], "written": ["model.npz"]}))
    code, _, err = run(capsys, "train", "--out", out, "--resume", "--iterations", "400")
    assert code == 0, err
    assert checkpoint.load(out).iteration == 400 and not commit.exists()
