"""A folder's set of files is replaced whole or not at all, even under kill -9: shallownet.atomic."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from shallownet import atomic

OLD = {"model.npz": "old model", "summary.json": '{"model": "old"}', "checkpoint.npz": "old checkpoint"}
FAMILY = ("model.npz", "summary.json", "cost.png", "decision_boundary.png", "networks")


def _folder(path, files):
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text)
    return path


def _contents(path):
    """The visible files' texts; a save in progress is a hidden folder beside them, and none is left after."""
    return {child.name: child.read_text() for child in sorted(path.iterdir()) if not child.name.startswith(".")}


def _hidden(path):
    return [child.name for child in path.iterdir() if child.name.startswith(".")]


def test_a_new_set_appears_whole_beside_the_folders_other_files(tmp_path):
    run = _folder(tmp_path / "run", {"notes.txt": "mine"})
    with atomic.replace_entries(run, FAMILY) as staging:
        (staging / "model.npz").write_text("new model")
        assert _contents(run) == {"notes.txt": "mine"}  # nothing visible until every file is written
    assert _contents(run) == {"model.npz": "new model", "notes.txt": "mine"} and _hidden(run) == []


def test_an_existing_set_is_replaced_whole_and_what_is_not_written_anew_goes(tmp_path):
    run = _folder(tmp_path / "run", {**OLD, "cost.png": "old plot"})
    (run / "networks").mkdir()
    (run / "networks" / "old.npz").write_text("old network")
    with atomic.replace_entries(run, FAMILY) as staging:
        (staging / "model.npz").write_text("new model")
        (staging / "summary.json").write_text('{"model": "new"}')
        (staging / "networks").mkdir()
        (staging / "networks" / "new.npz").write_text("new network")
        assert (run / "cost.png").exists() and _contents(run / "networks") == {"old.npz": "old network"}
    assert sorted(child.name for child in run.iterdir()) == ["checkpoint.npz", "model.npz", "networks", "summary.json"]
    assert _contents(run / "networks") == {"new.npz": "new network"} and _hidden(run) == []
    assert (run / "model.npz").read_text() == "new model" and (run / "checkpoint.npz").read_text() == "old checkpoint"


def test_a_failure_while_writing_leaves_the_old_files_as_they_were(tmp_path):
    run = _folder(tmp_path / "run", OLD)
    with pytest.raises(KeyboardInterrupt), atomic.replace_entries(run, FAMILY) as staging:
        (staging / "model.npz").write_text("new model")
        raise KeyboardInterrupt  # Ctrl-C between the model and the summary
    assert _contents(run) == OLD and _hidden(run) == []


def test_a_name_outside_the_family_is_refused_and_nothing_replaced(tmp_path):
    run = _folder(tmp_path / "run", OLD)
    with (
        pytest.raises(ValueError, match=r"checkpoint\.npz not in the family"),
        atomic.replace_entries(run, FAMILY) as staging,
    ):
        (staging / "model.npz").write_text("new model")
        (staging / "checkpoint.npz").write_text("not the save's to replace")
    assert _contents(run) == OLD


def test_too_little_space_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    run = _folder(tmp_path / "run", OLD)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 40_000, 40_000))
    refused = r"^not enough space for .*run: its files need about 112\.8 KiB, 39\.1 KiB free; nothing was written$"
    with pytest.raises(atomic.NoSpaceError, match=refused), atomic.replace_entries(run, FAMILY, needed=50_000):
        pytest.fail("the body must not run")
    assert _contents(run) == OLD


def test_a_path_that_is_a_file_is_not_replaced(tmp_path):
    (tmp_path / "run").write_text("a file")
    with pytest.raises(FileExistsError), atomic.replace_entries(tmp_path / "run", FAMILY):
        pytest.fail("the body must not run")
    assert (tmp_path / "run").read_text() == "a file"


def test_a_sweeps_save_of_56_networks_flushes_with_a_few_calls_not_one_per_file(tmp_path, monkeypatch):
    """The staging folder is flushed once (syncfs), then the folder after the commit and after the moves.

    Where syncfs is missing every file and folder of the save is flushed one by one: counted too."""
    calls = {"fsync": 0, "syncfs": 0}
    real_fsync, real_syncfs = os.fsync, atomic._syncfs

    def fsync(fd):
        calls["fsync"] += 1
        return real_fsync(fd)

    def syncfs(folder):
        calls["syncfs"] += 1
        return real_syncfs(folder)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(atomic, "_syncfs", syncfs)

    def save():
        with atomic.replace_entries(tmp_path, ("sweep.csv", "sweep.json", "networks")) as staging:
            for name in ("sweep.csv", "sweep.json"):
                (staging / name).write_text("table")
            for k in range(56):
                (staging / "networks" / f"{k:02d}").mkdir(parents=True)
                for name in ("model.npz", "summary.json"):  # as the app writes them: flushed with the save
                    atomic.atomic_write(staging / "networks" / f"{k:02d}" / name, lambda f: f.write(b"k"))

    if real_syncfs(tmp_path):  # Linux
        save()
        assert calls == {"fsync": 2, "syncfs": 1}
    monkeypatch.setattr(atomic, "_syncfs", lambda folder: False)  # a system without syncfs
    calls.update(fsync=0)
    save()
    # every file (2 table files, 112 models and summaries, the manifest), every folder (the staging folder,
    # networks/, 56 networks, the set-aside folder), the folder after the commit and after the moves
    assert calls["fsync"] == 3 + 112 + 59 + 2


# A save of generation 2 over generation 1, killed (SIGKILL) at its k-th file system call, for every k until
# one save completes; then at random instants during saves in a loop. After each kill the folder is recovered
# (as a run's claim does) and what it holds printed: {name: generation} of every entry.
KILLED = """
import json, os, random, signal, sys, time
from pathlib import Path
from shallownet import atomic

folder = Path(sys.argv[1])
FAMILY = {family}
WRITES = {{1: ("model.npz", "summary.json", "cost.png"), 2: ("model.npz", "summary.json", "decision_boundary.png")}}


def save(generation):
    with atomic.replace_entries(folder, FAMILY) as staging:
        for name in WRITES[1 + (generation % 2 == 0)]:
            (staging / name).write_text(f"{{generation}}")
        (staging / "networks").mkdir()
        for name in ("a", "b"):
            (staging / "networks" / name).write_text(f"{{generation}}")


def state():
    found = {{}}
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            found[entry.name] = sorted({{p.read_text() for p in entry.iterdir()}})
        else:
            found[entry.name] = entry.read_text()
    return found


def killed_at(k):
    calls = [0]
    def counted(function):
        def call(*args, **kwargs):
            calls[0] += 1
            if calls[0] == k:
                os.kill(os.getpid(), signal.SIGKILL)
            return function(*args, **kwargs)
        return call
    for name in ("open", "mkdir", "fsync", "rename", "replace", "unlink", "remove", "rmdir", "scandir"):
        setattr(os, name, counted(getattr(os, name)))


def child(work):
    # run work in a forked child, then recover; whether the child was killed
    pid = os.fork()
    if pid == 0:
        work()
        os._exit(0)
    killed = os.WIFSIGNALED(os.waitpid(pid, 0)[1])
    atomic.recover(folder)
    return killed


folder.mkdir()
(folder / "notes.txt").write_text("user")
save(1)
steps = []
k = 1
while child(lambda: (killed_at(k), save(2))):  # until the k-th call comes after the save's last
    steps.append(state())
    k += 1
random.seed(0)
timed = []
for trial in range(40):
    pid = os.fork()
    if pid == 0:
        generation = 3 + 100 * trial  # every trial its own generations
        while True:
            save(generation)
            generation += 1
    time.sleep(random.uniform(0.0, 0.1))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    atomic.recover(folder)
    timed.append(state())
print(json.dumps({{"steps": steps, "timed": timed}}))
"""


def _agreeing(state):
    """The one generation every saved entry holds, or None when they disagree or the set is not a save's."""
    names = {name for name in state if name != "notes.txt"}
    generations = {state[name] if name != "networks" else state[name][0] for name in names}
    if len(generations) != 1 or state.get("networks", [None]) != [next(iter(generations))]:
        return None
    generation = int(next(iter(generations)))
    written = {"model.npz", "summary.json", "networks", "cost.png" if generation % 2 else "decision_boundary.png"}
    return generation if names == written and state["notes.txt"] == "user" else None


def test_a_save_killed_at_any_instant_leaves_one_whole_set_once_recovered(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", KILLED.format(family=FAMILY), str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    generations = [_agreeing(state) for state in result["steps"]]
    assert None not in generations, result["steps"][generations.index(None)]
    # Killed before its commit the save left generation 1 whole; from the commit on, generation 2 whole.
    switch = generations.index(2)
    assert generations == [1] * switch + [2] * (len(generations) - switch)
    # Kills landed in the writing and in the moving (the writing flushes with one syncfs, so it has fewer calls).
    assert switch > 5 and len(generations) - switch > 10
    timed = [_agreeing(state) for state in result["timed"]]
    assert None not in timed, result["timed"][timed.index(None)]
    assert len(set(timed)) > 10  # the random kills fell on many different saves


# On a real filesystem of 256 KiB (a tmpfs mounted in a user namespace: no privileges needed).
FULL_DISK = """
import json, sys
from pathlib import Path
from shallownet import atomic

FAMILY = {family}
disk = Path(sys.argv[1])
run = disk / "run"
run.mkdir()
for name, text in {old}.items():
    (run / name).write_text(text)
result = {{}}
try:
    with atomic.replace_entries(run, FAMILY) as staging:
        (staging / "model.npz").write_bytes(b"0" * 100_000)
        (staging / "cost.png").write_bytes(b"0" * 400_000)  # past the end of the disk
        (staging / "summary.json").write_text("{{}}")
except atomic.NoSpaceError as e:
    result["error"] = str(e)
result["run"] = {{p.name: p.read_text() for p in sorted(run.iterdir())}}
result["disk"] = sorted(p.name for p in disk.iterdir())
with atomic.replace_entries(run, FAMILY) as staging:  # the space is there again once the half-written copy is gone
    (staging / "model.npz").write_bytes(b"1" * 100_000)
result["after"] = sorted(p.name for p in disk.iterdir())
print(json.dumps(result))
"""


def _tiny_disk_command(folder, script):
    mount = f'mount -t tmpfs -o size=256k tmpfs {folder} && exec {sys.executable} -c "$0" {folder}'
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", mount, script]


def test_a_disk_that_fills_while_writing_leaves_the_old_model_and_summary_together(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"user namespaces are not available here: {probe.stderr.decode().strip()}")
    script = textwrap.dedent(FULL_DISK.format(old=OLD, family=FAMILY))
    done = subprocess.run(_tiny_disk_command(disk, script), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["error"] == f"the disk filled while writing {disk}/run's files; they were left as they were"
    assert result["run"] == OLD
    assert result["disk"] == ["run"]
    assert result["after"] == ["run"]


@pytest.mark.slow
def test_a_real_run_killed_during_its_saves_leaves_a_model_and_summary_that_agree(tmp_path):
    """``shallownet train`` saving every 0.1 s, killed (SIGKILL) at random moments; recovered as the next run's
    claim does, model.npz, summary.json and cost.png describe one iteration.

    Two kills: that the save survives a kill at any instant is the test above's (every step of a save, and
    random moments over many saves); this one proves the real command saves its three files as one set."""
    import random
    import signal
    import time

    from shallownet import checkpoint
    from work_lost import start, wait_for

    rng, cache = random.Random(3), tmp_path / "xla-cache"
    for attempt in range(2):
        out = tmp_path / f"run{attempt}"
        process = start(out, "--iterations", 10**10, "--checkpoint-every", 0.1, "--hidden-units", 3, cache=cache)
        wait_for(out / "model.npz", process)
        time.sleep(rng.uniform(0.0, 0.6))
        process.send_signal(signal.SIGKILL)
        process.communicate()
        atomic.recover(out)
        model = checkpoint.load(out)
        summary = json.loads((out / "summary.json").read_text())
        assert (
            (summary["iterations"], summary["status"])
            == (model.iteration, "running")
            == (model.iteration, model.status)
        )
        assert summary["files"] == ["model.npz", "cost.png", "summary.json"] and (out / "cost.png").is_file()
        assert _hidden(out) == [".shallownet.lock"]
