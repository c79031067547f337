"""The assignments' files run as week 3's do: in the sandbox (checker.sandbox), under the guard, on seeded draws.

A hostile classmate (one who imports the checker's reference, one who signals the checker, one whose
gradients come from jax.grad) is a FAIL that names what it did, in the same class run as a right file that
still passes; the CSV says which isolation ran each file and the hash of what was read. The draws come from
the run's seed (``--seed`` reproduces them), and the JSON's settings are the assignment's own.
"""

import contextlib
import csv
import hashlib
import io
import json
from pathlib import Path

import pytest

from checker import cli, sandbox

HERE = Path(__file__).parent
RIGHT_WEEK2 = HERE / "corpus_week2/01_right.py"
RIGHT_CS231N = HERE / "corpus_cs231n/01_right_full.py"
QUICK = ["--timeout", "5", "--show-output", "0"]

IMPORTS_MANUAL = """import numpy as np


class TwoLayerNet(object):
    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {}

    def loss(self, X, y=None, reg=0.0):
        from manual import two_layer_net  # the project's own answer, in one line

        return two_layer_net.loss(self.params, X, y, reg)
"""

KILLS_THE_CHECKER = """import os
import signal

import numpy as np


def propagate(w, b, X, Y):
    os.kill(os.getppid(), signal.SIGTERM)  # end the class run
    m = X.shape[1]
    A = 1 / (1 + np.exp(-(np.dot(w.T, X) + b)))
    cost = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m
    return {"dw": np.dot(X, (A - Y).T) / m, "db": np.sum(A - Y) / m}, np.squeeze(cost)
"""

JAX_GRAD = """import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)


def propagate(w, b, X, Y):
    m = X.shape[1]

    def cost_of(w, b):
        A = jax.nn.sigmoid(jnp.dot(w.T, X) + b)
        return -jnp.sum(Y * jnp.log(A) + (1 - Y) * jnp.log(1 - A)) / m

    dw, db = jax.grad(cost_of, argnums=(0, 1))(w, b)
    return {"dw": np.asarray(dw), "db": float(db)}, np.asarray(cost_of(w, b))
"""

# file -> (its text, words its one-line message must hold). The refused import is named by the exception the
# learner's call raised ("No module named 'manual': the checker's own packages cannot be imported ...") or by
# the guard's report of it ("your code imports manual, the checker's own code (refused)").
HOSTILE = {
    "imports_manual.py": (IMPORTS_MANUAL, ("manual", "the checker's own")),
    "kills_the_checker.py": (KILLS_THE_CHECKER, ("your code tried to send a signal (os.kill(",)),
    "uses_jax_grad.py": (JAX_GRAD, ("dw, db come from jax.grad, not from a formula",)),
}


def run_cli(arguments):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(arguments)
    return code, out.getvalue()


def rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return {Path(row["file"]).name: row for row in csv.DictReader(f)}


# The sandbox the machine gives (auto) for the quick ones; no sandbox (the guard alone) and jax's start-up: slow.
# jax.grad is named by the guard alone (none); that the guard names it inside a sandbox too is the hostile class
# run's (tests/test_checker_class.py, b_jax_grad.py in each sandbox), so it is not run here a second time.
CASES = [
    pytest.param(name, mode, marks=[pytest.mark.slow] if mode == "none" else [])
    for name in sorted(HOSTILE)
    for mode in ("auto", "none")
    if (name, mode) != ("uses_jax_grad.py", "auto")
]


@pytest.mark.parametrize(("name", "mode"), CASES)
def test_hostile_assignment_code_is_a_fail_naming_what_it_did(tmp_path, name, mode):
    text, words = HOSTILE[name]
    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    (folder / name).write_text(text)
    (folder / "right.py").write_text(RIGHT_WEEK2.read_text())
    memory = "4096" if "jax" in name else "1024"  # jax's own start-up needs more address space
    report = out / "class.csv"
    code, shown = run_cli([str(folder), "--jobs", "2", "--memory", memory, "--sandbox", mode, "--report", str(report)])
    assert code == 1, shown
    found = rows(report)
    assert set(found) == {name, "right.py"}
    assert found[name]["verdict"] == "FAIL"
    assert all(word in found[name]["message"] for word in words), found[name]["message"]
    assert found["right.py"]["verdict"] == "PASS", found["right.py"]["message"]
    for row in found.values():
        assert row["isolation"] == sandbox.isolation(mode).line
        assert row["sha256"] == hashlib.sha256((folder / row["file"].split("/")[-1]).read_bytes()).hexdigest()


@pytest.mark.slow
def test_the_seed_reproduces_the_draws_and_the_json_shows_the_assignments_settings(tmp_path):
    def checked(*arguments):
        report = tmp_path / f"run{len(list(tmp_path.iterdir()))}.json"
        code, text = run_cli([str(RIGHT_CS231N), *QUICK, "--json", str(report), *arguments])
        assert code == 0, text
        return json.loads(report.read_text()), text

    first, text = checked("--seed", "11")
    again, _ = checked("--seed", "11")
    other, _ = checked("--seed", "12")
    fresh, _ = checked()
    settings = first["settings"]
    assert settings["seed"] == 11 and first["files"][0]["seed"] == 11
    assert "draws from seed 11 (--seed 11 checks on the same draws)" in text
    assert settings["problems"]["cs231n"]["problem"] == "cs231n"
    assert settings["problems"]["cs231n"]["reg_convention"] == "full"
    assert "activation" not in settings and "week3" not in settings  # week 3's options are not this check's
    assert again["settings"]["problems"] == settings["problems"]
    assert other["settings"]["problems"]["cs231n"]["draws"] != settings["problems"]["cs231n"]["draws"]
    assert isinstance(fresh["settings"]["seed"], int)
    assert first["files"][0]["isolation"] == sandbox.isolation("auto").line
    assert first["files"][0]["report"].startswith(f"isolation: {sandbox.isolation('auto').line}")


def test_a_half_convention_run_says_so_in_its_settings(tmp_path):
    report = tmp_path / "half.json"
    code, text = run_cli(
        [str(HERE / "corpus_cs231n/02_other_year_half.py"), *QUICK, "--reg-convention", "half", "--json", str(report)]
    )
    assert code == 0, text
    assert json.loads(report.read_text())["settings"]["problems"]["cs231n"]["reg_convention"] == "half"


def test_a_class_of_week3_and_week2_files_checks_each_as_its_own_problem(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "week3.py").write_text((HERE / "corpus/01_course_solution.py").read_text())
    (folder / "week2.py").write_text(RIGHT_WEEK2.read_text())
    report = tmp_path / "class.json"
    code, shown = run_cli([str(folder), *QUICK, "--json", str(report)])
    assert code == 0, shown
    document = json.loads(report.read_text())
    assert {Path(entry["file"]).name: entry["function"] for entry in document["files"]} == {
        "week3.py": "backward_propagation",
        "week2.py": "propagate",
    }
    assert set(document["settings"]["problems"]) == {"week2", "week3"}  # week 3 is a problem description too
    assert document["settings"]["week3"]["activation"] == "tanh"  # week 3's options, for its file only
