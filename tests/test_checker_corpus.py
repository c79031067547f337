"""The checker on a corpus of learner-style files (tests/corpus/), checked in batch as a teacher would.

The files were written for these tests in the styles learners write (no
learner's real work is copied): notebooks with magics mid-cell and a Python 2
kernel, an nbconvert export, odd signatures, module-level helpers and
constants, np.matrix code, templates left with None, syntax errors, and
hostile code (exits, patches, sleeps, floods, memory hogs, crashes, forged
messages). The notebooks are written by tests/corpus_notebooks.py.

CORPUS is the verdict a careful teacher gives each file and words the
one-line message (or, for a passing file, its notes) must contain.
"""

import contextlib
import csv
import io
import json
import shutil
from pathlib import Path

import nbformat
import pytest

import corpus_notebooks
from checker import cli

CORPUS_DIR = Path(__file__).parent / "corpus"
FAST = ["--timeout", "3", "--memory", "512"]

CORPUS = {
    "01_course_solution.py": ("PASS", "all four gradients are right"),
    "02_magics_mid_cell.ipynb": ("PASS", "cell 7 (In [5]): %%bash cell, not Python (skipped)"),
    "03_python2_kernel.ipynb": ("PASS", "cells 1, 2, 3: Python 2 print statements read as print() calls"),
    "04_nbconvert_export.py": (
        "PASS",
        "planar_utils is not beside the file: the checker's stand-in for the course's module",
    ),
    "05_reordered_arguments.py": ("PASS", "arguments bound by name: backward_propagation(cache, x, y, Parameters)"),
    "06_lowercase_keys.py": ("FAIL", "your 'dw1' holds the right dW1: the key must be 'dW1'"),
    "07_reads_lowercase_param_keys.py": (
        "FAIL",
        "your code looks up 'w1'; the cache holds Z1 A1 Z2 A2, the "
        "parameters W1 b1 W2 b2 (keys are case-sensitive: 'W1', not 'w1')",
    ),
    "08_class_method.ipynb": (
        "FAIL",
        "backward_propagation is a method of class TwoLayerNet "
        "(08_class_method.ipynb, cell 3 (In [2]) line 5): the checker calls a plain "
        "function, not a method",
    ),
    "09_static_method.py": ("PASS", "checking the static method Backprop.backward_propagation"),
    "10_module_helpers.py": ("PASS", "all four gradients are right"),
    "11_global_m.py": ("FAIL", "your code reads m, which it never defines: m = X.shape[1] belongs inside the function"),
    "12_global_m_literal.py": (
        "FAIL",
        "backward_propagation reads a module-level m (= 400): inside the function m must come from X.shape[1]",
    ),
    "13_skipped_constant.py": (
        "FAIL",
        "ONE is defined at line 3, which the checker skipped: its value calls something (np.float64(1.0))",
    ),
    "14_np_mat_numpy1.py": ("FAIL", "np.mat does not exist in NumPy 2"),
    "15_np_matrix_class.py": ("PASS", "your function returned np.matrix values (read as arrays)"),
    "16_template_none.py": ("FAIL", "dW1 is None: its formula is not written yet (the template's dW1 = None?)"),
    "17_template_none_inputs.py": (
        "FAIL",
        "your W1 and W2 are None: the template's W1 = None and W2 = None are not filled in yet",
    ),
    "18_syntax_error_elsewhere.py": (
        "PASS",
        "line 18: SyntaxError: expected ':': def plot_costs(costs) (lines 18-22 skipped)",
    ),
    "19_syntax_error_in_function.py": (
        "FAIL",
        "backward_propagation is defined in lines 8-19, which the checker "
        "skipped: line 16: SyntaxError: '(' was never closed",
    ),
    "20_bad_cell.ipynb": ("PASS", "cell 3 (In [3]) line 1: SyntaxError: expected ':'"),
    "21_exit_in_class_body.py": ("FAIL", "dW1 is all zeros: is its formula written yet?"),
    "22_exit_in_default_argument.py": (
        "FAIL",
        "backward_propagation is defined at line 6, which the checker skipped: defining it raised SystemExit: 0",
    ),
    "23_os_exit_in_function.py": (
        "FAIL",
        "the process running your code exited with status 0 (os._exit() in your "
        "code, or an exit the checker could not catch) while calling "
        "backward_propagation on problem 1",
    ),
    "24_patches_norm.py": ("FAIL", "dW1 is all zeros: is its formula written yet?"),
    "25_sleeps.py": (
        "FAIL",
        "calling backward_propagation on problem 1 took longer than 3 s, the time limit "
        "(--timeout); the process was stopped",
    ),
    "26_prints_a_flood.py": ("PASS", "all four gradients are right"),
    "27_memory_hog.py": ("FAIL", "your code ran out of memory: the checker's memory limit is 512 MB (--memory)"),
    "28_forges_the_channel.py": ("FAIL", "its result channel was tampered with"),
    "29_crashes.py": (
        "FAIL",
        "was ended by SIGSEGV (a crash: segmentation fault) while calling backward_propagation on problem 1",
    ),
    "30_one_output_only.py": ("FAIL", "your code runs only with one output unit (n_y = 1)"),
    "31_derivative_one_over_A1.py": (
        "FAIL",
        "your dZ1 line computes np.dot(W2.T, dZ2) * (1/A1): the activation "
        "derivative is written 1/A1; tanh'(Z1) = 1 - A1**2",
    ),
    "32_db2_from_dW2.py": ("FAIL", "db2: db2 summed from the weight gradient dW2"),
    "33_dW2_for_W2.py": ("FAIL", "the gradient dW2 where the parameter W2 belongs"),
    "34_unknown_db2_slip.py": (
        "FAIL",
        "where to look (db2 wrong, dW1, db1 and dW2 right): the line db2 = np.sum(dZ2, axis=1, keepdims=True) / m",
    ),
    "35_grads_form.py": ("PASS", "checking compute_gradients, the one function taking (parameters, X, Y)"),
    "36_renamed_function.ipynb": ("PASS", "checking backprop, the one function taking (parameters, cache, X, Y)"),
    "37_no_function.py": (
        "FAIL",
        "37_no_function.py defines no function 'backward_propagation', and no function "
        "takes the course's arguments (parameters, cache, X, Y)",
    ),
    "38_unknown_derivative.py": (
        "FAIL",
        "your dZ1 line applies an activation derivative that is no simple expression in A1 or Z1",
    ),
    "39_killed_by_a_signal.py": ("FAIL", "your code tried to send a signal (os.kill("),
}
HOSTILE = [
    "21_exit_in_class_body.py",
    "22_exit_in_default_argument.py",
    "23_os_exit_in_function.py",
    "24_patches_norm.py",
    "25_sleeps.py",
    "27_memory_hog.py",
    "28_forges_the_channel.py",
    "29_crashes.py",
    "39_killed_by_a_signal.py",
]


# One seed for every run here: the drawn problems, and so their true gradients (a few compilations per drawn
# shape), are shared by the batch and the single-file runs instead of drawn anew for each.
SEED = "20261206"


def run_cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in argv] + ["--seed", SEED])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The whole corpus in one batch run, two files at a time, with its CSV and JSON."""
    folder = tmp_path_factory.mktemp("batch")
    code, out, _err = run_cli(
        CORPUS_DIR, "--jobs", "2", *FAST, "--report", folder / "class.csv", "--json", folder / "class.json"
    )
    with open(folder / "class.csv", newline="", encoding="utf-8") as f:
        rows = {Path(row["file"]).name: row for row in csv.DictReader(f)}
    document = json.loads((folder / "class.json").read_text())
    return code, out, rows, {Path(f["file"]).name: f for f in document["files"]}, document


def test_the_corpus_table_lists_every_file():
    assert sorted(path.name for path in CORPUS_DIR.iterdir()) == sorted(CORPUS)
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_file_gets_the_verdict_a_teacher_gives(batch, name):
    _, out, rows, files, _ = batch
    verdict, words = CORPUS[name]
    row = rows[name]
    assert row["verdict"] == verdict, row
    where = row["message"] if verdict == "FAIL" else row["message"] + " | " + row["notes"]
    assert words in where, row
    assert f"{verdict}  {row['file']}" in out  # its line on stdout
    if verdict == "PASS":
        assert (
            row["failing"] == ""
            and files[name]["gradients"]
            and all(gradient["passed"] and gradient["rel_autodiff"] < 1e-12 for gradient in files[name]["gradients"])
        )


def test_the_batch_fails_when_any_file_fails_and_counts_them(batch):
    code, out, _, _, document = batch
    passed = sum(v == "PASS" for v, _ in CORPUS.values())
    assert code == 1
    assert out.splitlines()[-1] == f"{len(CORPUS)} files: {passed} pass, {len(CORPUS) - passed} fail"
    assert document["summary"] == out.splitlines()[-1]
    assert document["limits"]["timeout"] == 3.0 and document["settings"]["activation"] == "tanh"


def test_lines_come_in_the_order_the_files_were_given(batch):
    _, out, _, _, _ = batch
    names = [Path(line.split()[1]).name for line in out.splitlines()[:-1]]
    assert names == sorted(CORPUS)


def test_a_flood_of_output_is_counted_and_capped_after_the_report(batch):
    _, _, rows, files, _ = batch
    flood = files["26_prints_a_flood.py"]
    assert rows["26_prints_a_flood.py"]["output_lines"] == "250000"  # 50,000 lines on each of 5 problems
    assert flood["stdout"]["lines"] == 250_000 and flood["stdout"]["truncated"]
    assert len(flood["stdout"]["head"].encode()) <= 64 * 1024
    assert "result: PASS" in flood["report"]


def test_the_failing_gradients_are_listed(batch):
    _, _, rows, files, _ = batch
    assert rows["31_derivative_one_over_A1.py"]["failing"] == "dW1 db1"
    assert rows["32_db2_from_dW2.py"]["failing"] == "db2"
    assert files["32_db2_from_dW2.py"]["failing"] == ["db2"]
    assert rows["25_sleeps.py"]["ended"].endswith("the process was stopped")


@pytest.mark.parametrize("name", HOSTILE)
def test_no_hostile_file_exits_0_alone(name):
    code, out, err = run_cli(CORPUS_DIR / name, "--timeout", "1", "--memory", "512")
    assert code == 1, out + err
    assert "result: FAIL" in out and "result: PASS" not in out.split("--- stdout of your code")[0]


def test_printed_words_cannot_pass_for_the_report():
    code, out, _ = run_cli(CORPUS_DIR / "28_forges_the_channel.py", *FAST)
    assert code == 1
    report, captured = out.split("--- stdout of your code: 1 line")
    assert "| result: PASS, all four gradients are right" in captured  # shown, marked as theirs
    assert "result: FAIL, 4 of 4 gradients never returned" in report


def test_a_folder_of_right_files_passes(tmp_path):
    for name in ("01_course_solution.py", "02_magics_mid_cell.ipynb", "05_reordered_arguments.py"):
        shutil.copy(CORPUS_DIR / name, tmp_path / name)
    (tmp_path / ".ipynb_checkpoints").mkdir()
    shutil.copy(CORPUS_DIR / "25_sleeps.py", tmp_path / ".ipynb_checkpoints" / "old-checkpoint.py")
    code, out, _ = run_cli(tmp_path, *FAST)
    assert code == 0, out
    assert out.splitlines()[-1] == "3 files: 3 pass, 0 fail"


def test_a_glob_checks_each_file(tmp_path):
    code, out, _ = run_cli(str(CORPUS_DIR / "3[12]_*.py"), *FAST, "--report", tmp_path / "r.csv")
    assert code == 1
    assert [line.split()[0] for line in out.splitlines()[:-1]] == ["FAIL", "FAIL"]
    assert len((tmp_path / "r.csv").read_text().splitlines()) == 3


def test_the_committed_notebooks_are_what_the_generator_writes(tmp_path):
    for written in corpus_notebooks.build(tmp_path):
        assert written.read_text() == (CORPUS_DIR / written.name).read_text(), written.name
        nbformat.validate(nbformat.read(written, as_version=4))
    python2 = nbformat.read(CORPUS_DIR / "03_python2_kernel.ipynb", as_version=4)
    assert python2.metadata.kernelspec.name == "python2"
