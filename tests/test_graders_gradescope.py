"""Gradescope: the generated autograder zip, run as Gradescope runs it, in a fake /autograder root.

Each submission runs the zip's own ``run_autograder`` (bash, then this
Python) with AUTOGRADER_ROOT pointing at a temporary folder laid out as
Gradescope's: source/ (the zip unpacked), run_autograder beside it,
submission/, results/. Every results.json must validate against a schema
written from Gradescope's specification, and say what a teacher expects.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from checker import autograder, graders, sandbox
from checker.problems import draw_cases, make_problem
from shallownet import cli

TESTS = Path(__file__).parent
CORPUS = TESTS / "corpus"
GRADERS = TESTS / "fixtures" / "graders"
SCHEMA = json.loads((GRADERS / "gradescope_results.schema.json").read_text())
POINTS = 10.0
HOSTILE = TESTS / "corpus_hostile" / "b_imports_manual.py"  # from manual.course import backward_propagation


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    out = tmp_path_factory.mktemp("upload") / "autograder.zip"
    code = cli.main(["autograder", "gradescope", "--out", str(out), "--points", "10", "--timeout", "2"])
    assert code == 0
    return out


def gradescope_root(tmp_path, autograder_zip, files):
    """A folder laid out as Gradescope's /autograder, the zip unpacked as Gradescope unpacks it."""
    root = tmp_path / "autograder"
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # extractall drops the modes the zip records
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    for path in files:
        shutil.copy(path, root / "submission" / path.name)
    return root


def run_autograder(root):
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "SHALLOWNET_PYTHON": sys.executable}
    done = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=300)
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(results)
    return done, results


def by_name(results):
    return {test["name"]: test for test in results["tests"]}


def test_the_zip_holds_executable_scripts_at_its_root_and_the_package(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        settings = json.loads(archive.read(autograder.CONFIG_NAME))
        setup = archive.read("setup.sh").decode()
    for script in ("setup.sh", "run_autograder"):
        assert (infos[script].external_attr >> 16) & stat.S_IXUSR, script
    assert {"package/pyproject.toml", "package/checker/graders.py", "package/reference/__init__.py"} <= set(infos)
    assert settings == {
        "points": 10.0, "activation": "tanh", "output": "sigmoid", "function": None, "timeout": 2.0, "memory": 4096,
        "problem": "auto", "reg_convention": "full", "sandbox": "auto",
    }  # fmt: skip
    assert "apt-get install -y --no-install-recommends bubblewrap" in setup
    assert '/bin/pip" install "$SOURCE/package"' in setup
    assert subprocess.run(["bash", "-n", "-c", setup]).returncode == 0
    other = autograder.gradescope_files({}, install="shallownet[cuda12] @ file:///opt/our copy")
    assert set(other) == {"setup.sh", "run_autograder", autograder.CONFIG_NAME}  # no bundled package
    assert """bin/pip" install 'shallownet[cuda12] @ file:///opt/our copy'""" in other["setup.sh"].decode()


@pytest.mark.slow
def test_the_bundled_package_builds_into_a_wheel(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(tmp_path / "source")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "w"),
         str(tmp_path / "source" / "package")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "w").glob("shallownet-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"checker/autograder.py", "manual/__init__.py", "shallownet/cli.py", "reference/model.py"} <= set(names)


def test_a_right_submission_gets_every_point(tmp_path, autograder_zip):
    done, results = run_autograder(gradescope_root(tmp_path, autograder_zip, [GRADERS / "right_backprop.ipynb"]))
    assert done.returncode == 0, done.stderr
    assert results["score"] == POINTS
    assert [(t["name"], t["score"], t["max_score"], t["status"]) for t in results["tests"]] == [
        (key, 2.5, 2.5, "passed") for key in ("dW1", "db1", "dW2", "db2")
    ]
    assert results["output"].startswith("**PASS, all four gradients are right**")
    assert "5 of 5 problems passed" in by_name(results)["dW1"]["output"]
    isolation = sandbox.isolation("auto").line  # the class run's: run_autograder goes through it
    assert results["extra_data"]["isolation"] == isolation
    assert f"Isolation: {graders.md_text(isolation)}" in results["output"]
    assert results["extra_data"]["checker_version"] == "0.1.0"
    assert isinstance(results["extra_data"]["seed"], int)  # drawn fresh for each submission


def test_missing_one_over_m_in_dW1_loses_dW1s_share_and_is_named_without_the_right_values(tmp_path, autograder_zip):
    done, results = run_autograder(gradescope_root(tmp_path, autograder_zip, [GRADERS / "missing_one_over_m.ipynb"]))
    tests = by_name(results)
    assert done.returncode == 0, done.stderr
    assert results["score"] == 7.5
    assert (tests["dW1"]["score"], tests["dW1"]["status"]) == (0.0, "failed")
    assert "0 of 5 problems passed" in tests["dW1"]["output"]
    assert "- missing 1/m: off by a factor m" in tests["dW1"]["output"]
    assert all(tests[key]["status"] == "passed" for key in ("db1", "dW2", "db2"))
    assert "dW1: missing 1/m" in results["output"]
    # The right gradients' values appear nowhere: not to 4 significant digits, not in any format.
    text = json.dumps(results)
    for case in draw_cases(results["extra_data"]["seed"]):  # the problems this submission was checked on
        truth = make_problem(case, "tanh", "sigmoid", "float64").truth
        for key in ("dW1", "db1", "dW2", "db2"):
            for value in np.ravel(truth[key]):
                assert f"{value:.4f}" not in text and f"{value:.3e}" not in text


def grade_in_process(tmp_path, path):
    """run_autograder's own grading (autograder.grade_submission) of one file, here; results schema-checked.

    run_autograder itself, as Gradescope starts it, is proven on the right and the missing-1/m notebooks above;
    the cases below are what that grading makes of a file, and need no process of their own."""
    (tmp_path / "submission").mkdir()
    shutil.copy(path, tmp_path / "submission")
    results = autograder.grade_submission(tmp_path / "submission", {"points": POINTS, "timeout": 2})
    jsonschema.Draft202012Validator(SCHEMA).validate(results)
    return results


def test_hostile_code_scores_zero_and_its_output_never_passes_for_the_verdict(tmp_path):
    # It prints "all tests passed" and ends its process with os._exit(0) inside the function.
    results = grade_in_process(tmp_path, CORPUS / "23_os_exit_in_function.py")
    assert results["score"] == 0
    assert {t["status"] for t in results["tests"]} == {"failed"}
    assert results["output"].startswith("**FAIL, 4 of 4 gradients never returned**")
    words = "exited with status 0 (os.\\_exit() in your code"
    assert words in results["output"]
    assert words in by_name(results)["dW1"]["output"]  # a gradient never returned says why
    assert "```\n--- stdout of your code: 1 line, 17 bytes ---\n| all tests passed\n```" in results["output"]


@pytest.mark.parametrize(
    "submission, words",
    [
        ("39_killed_by_a_signal.py", "tried to send a signal (os.kill("),  # the guard: refused, named
        ("25_sleeps.py", "took longer than 2 s, the time limit"),
        ("21_exit_in_class_body.py", "dW1 is all zeros"),
    ],
)
def test_code_that_kills_itself_sleeps_or_exits_scores_zero_and_says_what_happened(tmp_path, submission, words):
    results = grade_in_process(tmp_path, CORPUS / submission)
    assert results["score"] == 0
    assert words in results["output"] and words in by_name(results)["dW1"]["output"]


def test_a_submission_that_does_not_parse_scores_zero_with_the_syntax_error(tmp_path):
    results = grade_in_process(tmp_path, CORPUS / "19_syntax_error_in_function.py")
    assert results["score"] == 0
    assert "FAIL, the gradients were not checked" in results["output"]
    assert "SyntaxError: '(' was never closed" in results["output"]
    for test in results["tests"]:
        assert test["output"].startswith("not checked: backward\\_propagation is defined in lines 8-19")
        assert (test["score"], test["max_score"]) == (0.0, 2.5)


def test_an_empty_submission_and_a_broken_checker_still_write_results(tmp_path, autograder_zip):
    root = gradescope_root(tmp_path, autograder_zip, [])
    results = autograder.grade_submission(root / "submission", {"points": POINTS})
    jsonschema.Draft202012Validator(SCHEMA).validate(results)
    assert results["score"] == 0 and "no .py or .ipynb file in your submission" in results["output"]
    # The checker cannot even start (a wrong Python): run_autograder still leaves Gradescope a results.json.
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "SHALLOWNET_PYTHON": str(tmp_path / "no-python")}
    subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, timeout=60)
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(results)
    assert results["score"] == 0 and "The checker ended without writing results (exit status 127)" in results["output"]


def test_of_several_files_the_best_is_graded_and_the_others_named(tmp_path):
    for path in (GRADERS / "missing_one_over_m.ipynb", CORPUS / "01_course_solution.py"):
        shutil.copy(path, tmp_path)
    results = autograder.grade_submission(tmp_path, {"points": POINTS})
    assert results["score"] == POINTS
    assert results["output"].startswith("Graded 01_course_solution.py; also checked, lower or equal: missing_one")


def test_a_cs231n_file_and_code_importing_our_packages_go_through_the_class_run(tmp_path):
    # run_autograder's files take shallownet check's path: each checked as the problem it solves, in the sandbox,
    # under the guard that refuses our packages.
    for name, path in (("cs231n", TESTS / "corpus_cs231n" / "01_right_full.py"), ("hostile", HOSTILE)):
        (tmp_path / name).mkdir()
        shutil.copy(path, tmp_path / name)
    right = autograder.grade_submission(tmp_path / "cs231n", {"points": 6})
    jsonschema.Draft202012Validator(SCHEMA).validate(right)
    assert right["score"] == 6.0 and [t["name"] for t in right["tests"]] == ["W1", "b1", "W2", "b2", "loss", "scores"]
    assert "problem cs231n" in right["extra_data"]["problem"]
    assert right["extra_data"]["isolation"] == sandbox.isolation("auto").line
    hostile = autograder.grade_submission(tmp_path / "hostile", {"points": 6})
    jsonschema.Draft202012Validator(SCHEMA).validate(hostile)
    assert hostile["score"] == 0 and "your code imports manual" in hostile["output"]
