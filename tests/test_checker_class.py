"""A teacher's class run cannot be corrupted: hostile files beside correct classmates, one honest row each.

tests/corpus_hostile holds, in learners' styles, every attack of issue 16: killing the checker (SIGTERM,
killpg, through libc), killing itself, forging the report from /proc (now, and from a setsid grandchild
later), overwriting classmates, printing the teacher's secrets, and four files that derive nothing
(our packages imported, jax.grad, finite differences). The folder is checked once per sandbox this machine
starts, as a teacher would (``python -m checker FOLDER --report --json --jobs 2``).
"""

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker import sandbox

ROOT = Path(__file__).resolve().parents[1]
CLASS = ROOT / "tests" / "corpus_hostile"
SECRET = "teacher-secret-4f9a1c"
MARKER = "31.4159"  # the sleep a_forges_the_report.py leaves behind, unless the sandbox ends it
SIGNAL_REFUSED = "tried to send a signal"
# file -> (verdicts allowed, words the message holds when it fails)
EXPECTED = {
    "victim.py": ({"PASS"}, ""),
    "zz_also_right.py": ({"PASS"}, ""),
    "a_kills_the_checker.py": ({"FAIL"}, SIGNAL_REFUSED),
    "a_killpg_the_checker.py": ({"FAIL"}, SIGNAL_REFUSED),
    "a_kills_itself.py": ({"FAIL"}, SIGNAL_REFUSED),
    # libc's kill looked up through ctypes: refused and named too.
    "a_ctypes_kill.py": ({"FAIL"}, "the C library's kill() through ctypes"),
    # Harmless inside the sandbox, and their gradients are right.
    "a_forges_the_report.py": ({"PASS"}, ""),
    "a_overwrites_classmates.py": ({"PASS"}, ""),
    "a_prints_secrets.py": ({"PASS"}, ""),
    "b_imports_manual.py": ({"FAIL"}, "imports manual, the checker's own code"),
    "b_calls_reference.py": ({"FAIL"}, "imports reference, the checker's own code"),
    "b_jax_grad.py": ({"FAIL"}, "come from jax.grad, not from a formula"),
    "b_finite_differences.py": ({"FAIL"}, "numeric differences"),
    "c_right_only_when_m_is_small.py": ({"FAIL"}, "dW1"),
    "c_right_only_on_the_probe.py": ({"FAIL"}, ""),
}
KINDS = [kind for kind in ("bubblewrap", "unshare") if not sandbox._why_not(kind)]


def _hashes(folder):
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def _marked_processes(marker):
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "cmdline").read_bytes().decode("utf-8", "replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module", params=KINDS or [pytest.param("none", marks=pytest.mark.skip("no sandbox here"))])
def class_run(request, tmp_path_factory):
    kind = request.param
    work = tmp_path_factory.mktemp(f"class_{kind}")
    folder, reports = work / "hw3", work / "grades"
    shutil.copytree(CLASS, folder)
    reports.mkdir()
    before = _hashes(folder)
    env = {**os.environ, "TEACHER_SECRET": SECRET}
    command = [sys.executable, "-m", "checker", "hw3", "--report", "grades/class.csv", "--json", "grades/class.json"]
    command += ["--jobs", "2", "--sandbox", kind, "--timeout", "20"]
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=600)
    csv_bytes = (reports / "class.csv").read_bytes()
    time.sleep(1.5)  # a grandchild that outlived the check would write now (a_forges_the_report.py sleeps 0.5 s)
    return kind, done, folder, reports, before, csv_bytes


def test_each_file_gets_one_honest_row(class_run):
    kind, done, _, reports, _, _ = class_run
    assert done.returncode == 1, done.stderr  # some files fail; the run itself ended normally
    rows = list(csv.DictReader((reports / "class.csv").open(encoding="utf-8")))
    assert sorted(Path(row["file"]).name for row in rows) == sorted(EXPECTED)
    for row in rows:
        verdicts, words = EXPECTED[Path(row["file"]).name]
        assert row["verdict"] in verdicts, row
        if row["verdict"] == "FAIL":
            assert words in row["message"], row
        assert row["isolation"].startswith(f"{kind} sandbox"), row
        assert len(row["sha256"]) == 64
    assert f"isolation: {kind} sandbox" in done.stderr


def test_the_report_is_intact_after_the_run_and_nothing_outlives_it(class_run):
    _, _, _, reports, _, csv_bytes = class_run
    assert (reports / "class.csv").read_bytes() == csv_bytes  # no late write
    assert b"forged" not in csv_bytes
    assert sorted(path.name for path in reports.iterdir()) == ["class.csv", "class.json"]  # no temporary left
    document = json.loads((reports / "class.json").read_text(encoding="utf-8"))
    assert document["partial"] is False and document["checked"] == document["total"] == len(EXPECTED)
    assert not _marked_processes(MARKER)


def test_no_submission_changed_and_no_secret_leaked(class_run):
    _, done, folder, reports, before, _ = class_run
    assert _hashes(folder) == before
    for text in (done.stdout, done.stderr, *(path.read_text(encoding="utf-8") for path in reports.iterdir())):
        assert SECRET not in text
    files = {Path(f["file"]).name: f for f in json.loads((reports / "class.json").read_text())["files"]}
    assert "report paths found: none" in files["a_forges_the_report.py"]["stdout"]["head"]
    assert "overwrote: nothing" in files["a_overwrites_classmates.py"]["stdout"]["head"]
    assert "TEACHER_SECRET = None" in files["a_prints_secrets.py"]["stdout"]["head"]


def test_without_a_sandbox_the_checker_still_refuses_signals_and_goes_on(tmp_path):
    from checker.batch import check_files
    from checker.files import Target
    from checker.run import Limits

    for name in ("a_kills_the_checker.py", "a_killpg_the_checker.py", "victim.py"):
        shutil.copy(CLASS / name, tmp_path / name)
    targets = [Target(path) for path in sorted(tmp_path.iterdir())]
    results = check_files(targets, limits=Limits(timeout=10), isolation="none")
    assert [result.verdict for result in results] == ["FAIL", "FAIL", "PASS"]
    assert all(SIGNAL_REFUSED in result.message for result in results[:2])
    assert all(result.isolation.startswith("no sandbox") for result in results)


def test_required_refuses_where_no_sandbox_starts(monkeypatch, capsys):
    from checker import cli

    monkeypatch.setattr(sandbox, "_probe", lambda: sandbox.Isolation("none", "bubblewrap: bwrap is not installed"))
    assert cli.main([str(CLASS / "victim.py"), "--sandbox", "required"]) == cli.EXIT_USAGE
    assert "no sandbox can start here: bubblewrap: bwrap is not installed" in capsys.readouterr().err


def test_an_interrupted_class_run_writes_partial_reports_marked_so(tmp_path):
    folder = tmp_path / "hw"
    folder.mkdir()
    shutil.copy(CLASS / "victim.py", folder / "a_first.py")
    (folder / "b_sleeps.py").write_text(
        "import time\n\ndef backward_propagation(parameters, cache, X, Y):\n    time.sleep(60)\n"
    )
    shutil.copy(CLASS / "victim.py", folder / "c_never_reached.py")
    command = [sys.executable, "-m", "checker", str(folder), "--report", str(tmp_path / "c.csv")]
    command += ["--json", str(tmp_path / "c.json"), "--timeout", "60"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    first = process.stdout.readline()  # a_first.py's row: b_sleeps.py is running now
    assert first.startswith("PASS")
    time.sleep(1)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    rows = list(csv.DictReader((tmp_path / "c.csv").open(encoding="utf-8")))
    assert [row["verdict"] for row in rows] == ["PASS", "INCOMPLETE"]
    assert "1 of 3 files checked" in rows[-1]["message"]
    document = json.loads((tmp_path / "c.json").read_text())
    assert document["partial"] is True and document["checked"] == 1 and document["total"] == 3
    assert "1 of 3 files checked" in err
