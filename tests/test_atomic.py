"""A run folder's files are replaced whole or not at all: shallownet.atomic (for the engine to write through)."""

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from shallownet import atomic

OLD = {"model.npz": "old model", "summary.json": '{"model": "old"}', "checkpoint.npz": "old checkpoint"}


def _folder(path, files):
    path.mkdir()
    for name, text in files.items():
        (path / name).write_text(text)
    return path


def _contents(path):
    return {child.name: child.read_text() for child in sorted(path.iterdir())}


def test_a_new_folder_appears_whole_with_nothing_left_beside_it(tmp_path):
    with atomic.replace_folder(tmp_path / "run") as staging:
        (staging / "model.npz").write_text("new model")
        assert not (tmp_path / "run").exists()  # nothing visible until every file is written
    assert _contents(tmp_path / "run") == {"model.npz": "new model"}
    assert [child.name for child in tmp_path.iterdir()] == ["run"]


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2 exchange", "rename aside"])
def test_an_existing_folder_is_replaced_whole_keeping_only_what_is_carried(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    run = _folder(tmp_path / "run", OLD)
    with atomic.replace_folder(run, carry=("checkpoint.npz", "absent.txt")) as staging:
        (staging / "model.npz").write_text("new model")
        (staging / "summary.json").write_text('{"model": "new"}')
        assert _contents(run) == OLD
    assert _contents(run) == {
        "checkpoint.npz": "old checkpoint",
        "model.npz": "new model",
        "summary.json": '{"model": "new"}',
    }
    assert [child.name for child in tmp_path.iterdir()] == ["run"]


def test_a_failure_while_writing_leaves_the_old_folder_as_it_was(tmp_path):
    run = _folder(tmp_path / "run", OLD)
    with pytest.raises(KeyboardInterrupt), atomic.replace_folder(run) as staging:
        (staging / "model.npz").write_text("new model")
        raise KeyboardInterrupt  # Ctrl-C between the model and the summary
    assert _contents(run) == OLD
    assert [child.name for child in tmp_path.iterdir()] == ["run"]


def test_too_little_space_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    run = _folder(tmp_path / "run", OLD)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 40_000, 40_000))
    refused = r"^not enough space for .*run: its files need about 112\.8 KiB, 39\.1 KiB free; nothing was written$"
    with pytest.raises(atomic.NoSpaceError, match=refused), atomic.replace_folder(run, needed=50_000):
        pytest.fail("the body must not run")
    assert _contents(run) == OLD
    assert [child.name for child in tmp_path.iterdir()] == ["run"]


def test_a_path_that_is_a_file_is_not_replaced(tmp_path):
    (tmp_path / "run").write_text("a file")
    with pytest.raises(NotADirectoryError, match="exists and is not a folder"), atomic.replace_folder(tmp_path / "run"):
        pytest.fail("the body must not run")
    assert (tmp_path / "run").read_text() == "a file"


# On a real filesystem of 256 KiB (a tmpfs mounted in a user namespace: no privileges needed).
FULL_DISK = """
import json, sys
from pathlib import Path
from shallownet import atomic

disk = Path(sys.argv[1])
run = disk / "run"
run.mkdir()
for name, text in {old}.items():
    (run / name).write_text(text)
result = {{}}
try:
    with atomic.replace_folder(run) as staging:
        (staging / "model.npz").write_bytes(b"0" * 100_000)
        (staging / "cost.png").write_bytes(b"0" * 400_000)  # past the end of the disk
        (staging / "summary.json").write_text("{{}}")
except atomic.NoSpaceError as e:
    result["error"] = str(e)
result["run"] = {{p.name: p.read_text() for p in sorted(run.iterdir())}}
result["disk"] = sorted(p.name for p in disk.iterdir())
with atomic.replace_folder(run) as staging:  # the space is there again once the half-written copy is gone
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
    done = subprocess.run(
        _tiny_disk_command(disk, textwrap.dedent(FULL_DISK.format(old=OLD))), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["error"] == f"the disk filled while writing {disk}/run's files; {disk}/run left as it was"
    assert result["run"] == OLD
    assert result["disk"] == ["run"]
    assert result["after"] == ["run"]
