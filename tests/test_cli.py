"""The shallownet command: outputs of train, predict and sweep; every bad input gives one line and a non-zero exit."""

import csv
import fcntl
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import types
import warnings

import numpy as np
import pytest

from shallownet import checkpoint, cli, data, memory, phases, predict, signals, train
from shallownet import run as run_module
from shallownet.history import CostHistory

# Small runs that share one compiled program where they can.
FAST = ["--iterations", "300", "--hidden-units", "3", "--dtype", "float64"]


def run(capsys, *argv):
    capsys.readouterr()  # drop what fixtures printed
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def write_csv(path, X, Y, features=("a", "b"), label="label"):
    rows = [",".join(list(features) + [label])]
    rows += [",".join(repr(float(v)) for v in list(x) + [y]) for x, y in zip(X.T, Y[0])]
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def flower_run(tmp_path_factory):
    """One `shallownet train` on the flower data, shared by the tests that read its outputs."""
    out = tmp_path_factory.mktemp("run") / "flower"
    code = cli.main(["train", "--out", str(out)] + FAST)
    assert code == 0
    return out


def visible(folder):
    return sorted(n for n in os.listdir(folder) if not n.startswith("."))


def test_train_writes_model_plots_and_summary(flower_run):
    assert visible(flower_run) == sorted(["model.npz", "cost.png", "decision_boundary.png", "summary.json"])
    for png in ("cost.png", "decision_boundary.png"):
        assert (flower_run / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((flower_run / "summary.json").read_text())
    assert summary["config"]["hidden_units"] == 3 and summary["config"]["dtype"] == "float64"
    assert summary["iterations"] == 300 and summary["status"] == "finished"
    assert summary["cost_history"]["stride"] == 1 and len(summary["cost_history"]["points"]) == 300
    assert summary["compile_seconds"] > 0 and summary["run_seconds"] > 0
    assert summary["backend"] == "cpu" and summary["jax_version"]
    assert summary["data_fingerprint"] == data.load("flower").fingerprint.to_dict()
    ck = checkpoint.load(flower_run / "model.npz")
    assert ck.iteration == 300 and ck.status == "finished"
    assert summary["accuracy"]["train"] == pytest.approx(train.accuracy(ck.params, *data.flower(), "tanh", "sigmoid"))
    assert summary["cost_history"]["points"][100] == [100, ck.history.costs[100]]


def test_train_prints_the_accuracy(capsys, tmp_path):
    code, out, _err = run(capsys, "train", "--out", tmp_path / "r", *FAST)
    assert code == 0
    assert "train accuracy: " in out and "%" in out and "test accuracy" not in out


def test_train_with_a_test_split_reports_both_accuracies(capsys, tmp_path):
    code, out, _ = run(capsys, "train", "--out", tmp_path / "r", "--test-split", "0.25", *FAST)
    assert code == 0 and "train accuracy" in out and "test accuracy" in out
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert 0 <= summary["accuracy"]["test"] <= 100


def same_model(a, b):
    """Bit for bit: parameters and the kept cost history."""
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k], err_msg=k)
    for x, y in zip(a.history.arrays(), b.history.arrays()):
        np.testing.assert_array_equal(x, y)


def test_resume_continues_to_the_same_parameters_as_one_run(capsys, tmp_path):
    # 3,000 iterations: past the history's 2,048 points, so the stride grows across the resume.
    common = ["--dtype", "float64", "--hidden-units", "3", "--chunk", "250"]
    assert run(capsys, "train", "--out", tmp_path / "one", "--iterations", "3000", *common)[0] == 0
    assert run(capsys, "train", "--out", tmp_path / "two", "--iterations", "2100", *common)[0] == 0
    code, out, _ = run(capsys, "train", "--out", tmp_path / "two", "--iterations", "3000", "--resume")
    assert code == 0
    assert f"resuming {tmp_path / 'two'} at iteration 2100 of 3000; changed on resume: iterations 2100 -> 3000" in out
    one, two = (checkpoint.load(tmp_path / d / "model.npz") for d in ("one", "two"))
    assert two.iteration == 3000 and two.history.stride == 2
    same_model(one, two)
    summary = json.loads((tmp_path / "two" / "summary.json").read_text())
    assert summary["resumed_from"] == 2100 and [s["start"] for s in summary["segments"]] == [0, 2100]


def test_an_interrupted_run_saves_its_last_chunk_and_resumes_identically(tmp_path):
    config = {"hidden_units": 3, "dtype": "float64", "iterations": 900, "chunk": 300}
    seen = []

    def ctrl_c_after_600(done, cost):
        seen.append(done)
        if done >= 600:
            raise KeyboardInterrupt

    with pytest.raises(train.Interrupted) as info:
        run_module.train_run(config, tmp_path / "cut", progress=ctrl_c_after_600)
    assert info.value.saved == tmp_path / "cut" / "model.npz" and info.value.signum == signal.SIGINT
    cut = checkpoint.load(tmp_path / "cut" / "model.npz")
    assert cut.iteration == seen[-1] >= 600 and cut.status == "interrupted"
    resumed = run_module.train_run({}, tmp_path / "cut", resume=True)
    whole = run_module.train_run(config, tmp_path / "whole")
    same_model(*(checkpoint.load(tmp_path / d / "model.npz") for d in ("cut", "whole")))
    assert resumed["accuracy"] == whole["accuracy"]


def test_every_save_leaves_files_that_describe_the_model_beside_them(previous_run):
    # A new run into a folder holding an older run: each checkpoint replaces the
    # summary and the cost plot too, and the old decision boundary goes.
    out, _ = previous_run
    seen = []

    def look(done, cost):
        if len({s[0] for s in seen}) < 2:
            time.sleep(0.01)  # slow until two checkpoints were seen while running, then full speed
        summary = json.loads((out / "summary.json").read_text())
        if summary["status"] == "running":
            seen.append((checkpoint.load(out / "model.npz").iteration, summary["iterations"], visible(out)))

    run_module.train_run(
        {"hidden_units": 3, "dtype": "float64", "iterations": 12000, "chunk": 200, "checkpoint_every": 0.1},
        out,
        overwrite=True,
        progress=look,
    )
    assert len({s[0] for s in seen}) >= 2
    for iteration, described, files in seen:
        assert iteration == described and files == ["cost.png", "model.npz", "summary.json"]
    assert visible(out) == ["cost.png", "decision_boundary.png", "model.npz", "summary.json"]


def test_ctrl_c_before_the_first_chunk_keeps_the_earlier_model(monkeypatch, previous_run):
    out, before = previous_run

    def ctrl_c(*args, **kwargs):  # during the compile, before the first chunk
        raise KeyboardInterrupt

    monkeypatch.setattr(phases, "wait", ctrl_c)
    with pytest.raises(train.Interrupted) as info:
        run_module.train_run({"hidden_units": 3, "dtype": "float64"}, out, overwrite=True)
    assert info.value.saved is None and info.value.iteration == 0
    assert (out / "model.npz").read_bytes() == before["model.npz"]


@pytest.mark.parametrize(
    "signum, total, message",
    [
        (
            signal.SIGINT,
            1000,
            "interrupted by SIGINT after iteration 600; saved {out}/model.npz, continue with --resume",
        ),
        (signal.SIGTERM, 1000, "interrupted by SIGTERM after iteration 600; saved"),
        (signal.SIGHUP, 600, "interrupted by SIGHUP after iteration 600, the last one; saved"),
    ],
)
def test_a_stop_request_exits_128_plus_the_signal_and_says_how_to_resume(
    capsys, monkeypatch, tmp_path, signum, total, message
):
    def interrupted(config, out, **kwargs):  # what train_run raises on a stop request
        raise train.Interrupted(600, {}, CostHistory(), saved=out / "model.npz", signum=signum, total=total)

    monkeypatch.setattr(run_module, "train_run", interrupted)
    code, _, err = run(capsys, "train", "--out", tmp_path)
    expect_one_line_error(code, err, message.format(out=tmp_path))
    assert code == 128 + signum


def test_resume_without_a_saved_run_fails_cleanly(capsys, tmp_path):
    code, _, err = run(capsys, "train", "--out", tmp_path, "--resume")
    assert code == 1 and "no model file at" in err


def test_resume_asks_for_more_iterations_than_done(capsys, flower_run, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(flower_run, out)
    code, _, err = run(capsys, "train", "--out", out, "--resume", "--iterations", "300")
    assert code == 1 and "already has 300 iterations" in err


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    """A CSV whose features need standardizing (offset 1000, scale 100), trained with --standardize."""
    folder = tmp_path_factory.mktemp("csv")
    X, Y = data.flower()
    X = X * np.array([[100.0], [1.0]]) + np.array([[1000.0], [-50.0]])
    path = write_csv(folder / "train.csv", X, Y)
    out = folder / "run"
    assert cli.main(["train", "--data", str(path), "--standardize", "--out", str(out)] + FAST) == 0
    return path, out, X, Y


def test_standardization_statistics_travel_with_the_model(csv_run):
    _, out, X, _ = csv_run
    ck = checkpoint.load(out / "model.npz")
    np.testing.assert_allclose(ck.feature_mean[:, 0], X.mean(axis=1))
    np.testing.assert_allclose(ck.feature_std[:, 0], X.std(axis=1))
    assert ck.config.standardize is True and ck.features == ("a", "b")
    assert ck.fingerprint.to_dict() == data.read_table(csv_run[0]).fingerprint.to_dict()


def test_predict_applies_the_saved_standardization(capsys, csv_run, tmp_path):
    path, out, X, _Y = csv_run
    code, stdout, err = run(capsys, "predict", "--model", out, "--data", path)
    assert code == 0
    lines = stdout.splitlines()
    assert lines[0] == "prediction" and len(lines) == 401
    predictions = np.array([int(v) for v in lines[1:]])
    ck = checkpoint.load(out / "model.npz")
    expected = train.predict(ck.params, (X - ck.feature_mean) / ck.feature_std)
    np.testing.assert_array_equal(predictions, expected[0])
    summary = json.loads((out / "summary.json").read_text())
    assert f"accuracy: {summary['accuracy']['train']:.2f}%" in err


def test_predict_writes_a_csv_and_needs_no_label_column(capsys, csv_run, tmp_path):
    path, out, X, _ = csv_run
    features_only = tmp_path / "new.csv"
    features_only.write_text("b,a\n" + "".join(f"{x[1]!r},{x[0]!r}\n" for x in X.T[:5].tolist()))  # columns by name
    code, stdout, err = run(capsys, "predict", "--model", out, "--data", features_only, "--out", tmp_path / "p.csv")
    assert code == 0, err
    assert "accuracy" not in stdout
    written = (tmp_path / "p.csv").read_text().splitlines()
    full = run(capsys, "predict", "--model", out, "--data", path)[1].splitlines()
    assert written == full[:6]


def test_identity_output_fits_real_valued_labels_and_reports_the_squared_error(capsys, tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 60))
    y = (1.5 * X[0] - 0.5 * X[1] + 3.0).reshape(1, -1)  # outside {0, 1}: fine for a regression output
    path = write_csv(tmp_path / "reg.csv", X, y, label="y")
    code, out, err = run(
        capsys,
        "train",
        "--data",
        path,
        "--label",
        "y",
        "--output",
        "identity",
        "--activation",
        "identity",
        "--lr",
        "0.1",
        "--out",
        tmp_path / "r",
        *FAST,
    )
    assert code == 0, err
    mse = json.loads((tmp_path / "r" / "summary.json").read_text())["mse"]["train"]
    assert f"train mean squared error: {mse:.4g}" in out and mse < 0.01
    code, out, err = run(capsys, "predict", "--model", tmp_path / "r", "--data", path)
    predictions = np.array([float(v) for v in out.splitlines()[1:]])
    np.testing.assert_allclose(predictions, y[0], atol=0.3)
    assert "mean squared error" in err


def test_sweep_prints_the_table_with_a_logistic_regression_row(capsys, tmp_path):
    code, out, _ = run(
        capsys, "sweep", "--hidden-units", "1", "3", "--iterations", "100", "--out", tmp_path / "s", "--no-plots"
    )
    assert code == 0
    lines = out.splitlines()
    assert "train %" in lines[0] and lines[1].split()[:2] == ["1", "1"] and lines[2].split()[:2] == ["3", "1"]
    assert lines[3].startswith("logistic regression") and lines[3].endswith("47.00")
    assert lines[4] == f"wrote sweep.csv, sweep.json, networks/ to {tmp_path / 's'}"
    assert visible(tmp_path / "s") == ["networks", "sweep.csv", "sweep.json"]


def test_every_network_of_a_sweep_is_a_model_predict_can_use(capsys, tmp_path):
    """Each network's folder holds what `train` would save: predict --model gives the sweep's own score."""
    code, _, _ = run(
        capsys, "sweep", "--hidden-units", "1", "3", "--seeds", "2", "--iterations", "100", "--out", tmp_path / "s"
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "s" / "sweep.csv").read_text())))[:4]
    folders = sorted((tmp_path / "s" / "networks").iterdir())
    assert [folder.name for folder in folders] == [
        "00-nh1-lr1.2-tanh-seed0", "01-nh1-lr1.2-tanh-seed1", "02-nh3-lr1.2-tanh-seed0", "03-nh3-lr1.2-tanh-seed1"
    ]  # fmt: skip
    for folder, row in zip(folders, rows):
        saved = checkpoint.load(folder)
        assert saved.config.hidden_units == int(row["hidden_units"]) and saved.config.seed == int(row["seed"])
        assert saved.iteration == 100 and saved.status == "finished" and saved.history.costs.shape == (100,)
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["files"] == ["model.npz", "summary.json"]
        code, _, err = run(capsys, "predict", "--model", folder, "--data", "flower")
        assert code == 0 and f"accuracy: {float(row['train_accuracy']):.2f}%" in err


def test_predict_with_a_sweeps_diverged_network_says_its_parameters_are_the_last_finite_ones(capsys, tmp_path):
    """A network of a sweep that diverged is still a model predict can use; a note on stderr says what its
    parameters are, the finite network beside it gets none, and stdout stays the same clean CSV."""
    argv = ["sweep", "--hidden-units", "2", "--lr", "1.2", "1e300", "--activation", "identity", "--iterations", "50"]
    code, _, err = run(capsys, *argv, "--no-plots", "--out", tmp_path / "s")
    assert code == 0, err
    finite, diverged = sorted((tmp_path / "s" / "networks").iterdir())
    saved = checkpoint.load(diverged)
    assert json.loads((diverged / "summary.json").read_text())["status"] == "diverged" == saved.status
    assert 0 < saved.iteration < 50 and checkpoint.load(finite).status == "finished"
    note = f"shallownet: note: the model diverged at iteration {saved.iteration}: predicting with its last finite"
    for folder, noted in ((finite, False), (diverged, True)):
        code, out, err = run(capsys, "predict", "--model", folder, "--data", "flower")
        lines = err.strip().splitlines()
        assert code == 0 and len(out.splitlines()) == 401 and "accuracy: " in lines[-1], err
        assert [line.startswith(note) for line in lines[:-1]] == ([True] if noted else []), err
        expected = train.predict(checkpoint.load(folder).params, data.flower()[0], "identity")
        np.testing.assert_array_equal([int(v) for v in out.splitlines()[1:]], expected[0])


def expect_one_line_error(code, err, message):
    assert code != 0
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert message in err, err


@pytest.fixture()
def previous_run(flower_run, tmp_path):
    """A folder holding an earlier run's files, to check that a failed run leaves them intact."""
    out = tmp_path / "previous"
    shutil.copytree(flower_run, out)
    return out, {name: (out / name).read_bytes() for name in os.listdir(out)}


def bad_csvs(folder):
    X, Y = data.flower()
    good = write_csv(folder / "good.csv", X, Y)
    text = good.read_text().splitlines()
    cases = {}
    for name, line in {
        "word": "1.0,abc,0",
        "nan": "nan,1.0,0",
        "three": "1.0,2.0,3",
        "underscore": "1_000,2,0",
    }.items():
        cases[name] = folder / f"{name}.csv"
        cases[name].write_text("\n".join(text[:5] + [line] + text[5:]) + "\n")
    cases["twice"] = folder / "twice.csv"
    cases["twice"].write_text("a,a,label\n" + "\n".join(text[1:]) + "\n")
    cases["tiny"] = folder / "tiny.csv"
    cases["tiny"].write_text("\n".join(text[:6]) + "\n")
    return good, cases


# name: (flags, the message, exit code: 2 for the command line, 1 for the data or the run)
BAD_INPUTS = {
    "unknown data set": (["--data", "spiral"], "unknown data set 'spiral'", 1),
    "missing CSV": (["--data", "{folder}/nope.csv"], "CSV file not found", 1),
    "missing label column": (["--data", "{good}", "--label", "y"], "no column named 'y'", 1),
    "non-numeric cell": (["--data", "{word}"], "line 6, column 'b': 'abc' is not a number", 1),
    "NaN cell": (["--data", "{nan}"], "line 6, column 'a': NaN", 1),
    "labels outside 0/1": (["--data", "{three}"], "three.csv, line 6, column 'label': label 3 is not 0 or 1", 1),
    "duplicate column": (["--data", "{twice}"], "duplicate column names 'a' (columns 1 and 2)", 1),
    "digit separator": (["--data", "{underscore}"], "'1_000' is not a number (no '_' digit separators)", 1),
    "more devices than examples": (
        ["--data", "{tiny}", "--devices", "20"],
        "devices (--devices) 20 is more than the 5 training examples",
        1,
    ),
    "hidden units beyond memory": (["--hidden-units", "1000000000"], "the run needs about", 1),
    "unwritable out": (["--out", "/proc/shallownet-run"], "cannot write to /proc", 1),
    "learning rate beyond float32": (
        ["--lr", "1e300", "--dtype", "float32"],
        "lr 1e+300 is beyond float32's largest number",
        1,
    ),
    "diverging learning rate": (
        ["--lr", "50", "--output", "identity", "--activation", "relu"],
        "cost became non-finite at iteration",
        1,
    ),
    "unknown activation": (["--activation", "swish"], "unknown activation 'swish'", 2),
    "NaN leaky slope": (["--activation", "leaky_relu:nan"], "the leaky_relu slope must be a finite number", 2),
    "unknown output": (["--output", "softmax"], "invalid choice: 'softmax'", 2),
    "zero learning rate": (["--lr", "0"], "lr (--lr) must be a finite number > 0, got 0.0", 2),
    "NaN learning rate": (["--lr", "nan"], "argument --lr: 'nan' is not a finite number", 2),
    "bad test split": (["--test-split", "1.5"], "test_split (--test-split) must be in [0, 1)", 2),
    "no iterations": (["--iterations", "0"], "iterations (--iterations) must be a whole number >= 1, got 0", 2),
    "negative seed": (["--seed", "-1"], "seed (--seed) must be a whole number >= 0, got -1", 2),
    "devices beyond simulation": (
        ["--devices", "999"],
        "devices (--devices) must be a whole number between 1 and 64",
        2,
    ),
    "label twice": (["--data", "{good}", "--label", "label", "label"], "names 'label' more than once", 2),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_fails_with_one_line_and_keeps_earlier_files(capsys, tmp_path, previous_run, case):
    out, before = previous_run
    good, bad = bad_csvs(tmp_path)
    argv, message, exit_code = BAD_INPUTS[case]
    argv = [a.format(folder=tmp_path, good=good, **bad) for a in argv]
    code, _, err = run(capsys, "train", "--out", out, "--overwrite", "--iterations", "300", "--dtype", "float64", *argv)
    expect_one_line_error(code, err, message)
    assert code == exit_code
    for name, content in before.items():
        assert (out / name).read_bytes() == content, name
    diverged = {"last_finite.npz"} if "non-finite" in message else set()
    assert sorted(os.listdir(out)) == sorted(set(before) | diverged)


def test_divergence_saves_the_last_finite_parameters_apart(capsys, previous_run):
    out, before = previous_run
    with warnings.catch_warnings(record=True) as seen:  # a numpy warning would print lines before the one line
        warnings.simplefilter("always")
        flags = ["--lr", "50", "--output", "identity", "--activation", "relu", "--dtype", "float64"]
        code, _, err = run(capsys, "train", "--out", out, "--overwrite", *flags)
    assert not [str(w.message) for w in seen if issubclass(w.category, RuntimeWarning)]
    expect_one_line_error(code, err, "last_finite.npz")
    saved = checkpoint.load(out / "last_finite.npz")
    assert 0 < saved.iteration < 10000 and saved.status == "diverged"
    assert all(np.all(np.isfinite(v)) for v in saved.params.values())
    assert (out / "model.npz").read_bytes() == before["model.npz"]
    # A later good run into the folder makes the stale last_finite.npz go.
    assert run(capsys, "train", "--out", out, "--overwrite", *FAST)[0] == 0
    assert not (out / "last_finite.npz").exists()


def test_an_out_that_is_a_file_is_refused_untouched(capsys, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    code, _, err = run(capsys, "train", "--out", target, *FAST)
    expect_one_line_error(code, err, "is an existing file")
    assert target.read_text() == "keep me"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["predict", "--model", "{tmp}", "--data", "flower"], "no model file at"),
        (["predict", "--model", "{run}", "--data", "{tmp}/nope.csv"], "CSV file not found"),
        (["predict", "--model", "{run}", "--data", "{tmp}/other.csv"], "no column named 'x1'"),
        (["predict", "--model", "{tmp}/other.csv", "--data", "flower"], "not a shallownet model (not an .npz archive"),
        (["predict", "--model", "{tmp}/noise.npz", "--data", "flower"], "not a shallownet model (not an .npz archive"),
        (["predict", "--model", "{run}", "--data", "{run}/cost.png"], "line 1: byte 0x89 is not UTF-8"),
        (["predict", "--model", "{run}", "--data", "{tmp}/p.csv", "--out", "{tmp}/p.csv"], "it would be overwritten"),
        (["sweep", "--data", "spiral"], "unknown data set 'spiral'"),
        (["sweep", "--lr", "nan"], "argument --lr: 'nan' is not a finite number"),
        (["sweep", "--hidden-units", "0"], "hidden_units (--hidden-units) must be a whole number >= 1, got 0"),
        (["sweep", "--lr", "0"], "lr (--lr) must be a finite number > 0, got 0.0"),
        (["sweep", "--lr", "1.2", "-1"], "lr (--lr) must be a finite number > 0, got -1.0"),
        (["sweep", "--seed", "-1"], "seed (--seed) must be a whole number >= 0"),
        (["sweep", "--hidden-units", "1000000000"], "the run needs about"),
        (["train", "--hidden-units", "four"], "argument --hidden-units: 'four' is not a number"),
        (["fly"], "invalid choice: 'fly'"),
    ],
)
def test_predict_and_sweep_bad_input_fails_with_one_line(capsys, tmp_path, flower_run, argv, message):
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    (tmp_path / "noise.npz").write_bytes(bytes(range(256)))
    (tmp_path / "p.csv").write_text("x1,x2\n1,2\n")
    argv = [a.format(tmp=tmp_path, run=flower_run) for a in argv]
    code, _, err = run(capsys, *argv)
    expect_one_line_error(code, err, message)


def test_predict_on_a_built_in_set_reports_the_accuracy(capsys, flower_run):
    code, out, err = run(capsys, "predict", "--model", flower_run, "--data", "flower")
    summary = json.loads((flower_run / "summary.json").read_text())
    assert code == 0 and len(out.splitlines()) == 401
    assert f"accuracy: {summary['accuracy']['train']:.2f}%" in err


def test_check_subcommand_is_registered_when_its_module_exists(monkeypatch, capsys):
    def register(subparsers):
        p = subparsers.add_parser("check")
        p.set_defaults(func=lambda args: 7)

    monkeypatch.setitem(sys.modules, "shallownet.check_cmd", types.SimpleNamespace(register=register))
    assert cli.main(["check"]) == 7


def test_devices_above_one_shard_the_examples(monkeypatch, tmp_path):
    """--devices N reaches the one training function as its device count (this process has one device)."""
    real, calls = train.train_many, []

    def one_device(params, X, Y, *, devices, **kwargs):
        calls.append(devices)
        return real(params, X, Y, **kwargs)

    monkeypatch.setattr(train, "train_many", one_device)
    assert cli.main(["train", "--devices", "2", "--out", str(tmp_path / "p")] + FAST) == 0
    assert calls == [2]
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert summary["config"]["devices"] == 2


def test_console_entry_caches_compiles_under_the_user_cache_and_exits_with_mains_code(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    for name in ("JAX_COMPILATION_CACHE_DIR", "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "argv", ["shallownet", "train", "--data", "spiral"])
    exits = []
    monkeypatch.setattr(os, "_exit", exits.append)
    cli.console()
    assert exits == [1]
    assert os.environ["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path / "shallownet" / "xla")


@pytest.mark.slow
def test_console_script_trains_and_reports_errors_without_traceback(tmp_path):
    exe = shutil.which("shallownet", path=os.path.dirname(sys.executable)) or "shallownet"
    ok = subprocess.run(
        [exe, "train", "--out", str(tmp_path / "r"), "--iterations", "500"], capture_output=True, text=True, timeout=120
    )
    assert ok.returncode == 0, ok.stderr
    assert "train accuracy:" in ok.stdout and ok.stderr == ""  # no progress bar when stderr is not a TTY
    bad = subprocess.run(
        [exe, "train", "--data", "missing.csv", "--out", str(tmp_path / "r"), "--overwrite"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    expect_one_line_error(bad.returncode, bad.stderr, "CSV file not found: missing.csv")
    assert (tmp_path / "r" / "model.npz").exists()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_regression_predictions_csv_reads_back_to_the_same_values(dtype):
    # The CSV must not round the identity output's predictions: each cell reads
    # back, in the model's dtype, to exactly the value predicted.
    P = (np.random.default_rng(0).standard_normal((2, 50)) * 1e3).astype(dtype)
    text = predict.predictions_csv(predict.Predictions(P, ("a", "b"), "identity", None))
    header, *rows = text.splitlines()
    assert header == "prediction_a,prediction_b"
    back = np.array([[dtype(v) for v in row.split(",")] for row in rows]).T
    np.testing.assert_array_equal(back, P)


def test_classification_predictions_csv_is_zeros_and_ones():
    P = np.array([[0, 1, 1, 0]], np.uint8)
    text = predict.predictions_csv(predict.Predictions(P, ("label",), "sigmoid", None))
    assert text == "prediction\n0\n1\n1\n0\n"


# --------------------------------------------------------------------------- resume means continue


def test_resume_refuses_every_setting_that_changes_the_problem_naming_each(capsys, previous_run, tmp_path):
    out, before = previous_run
    other = write_csv(tmp_path / "other.csv", *data.flower())
    code, _, err = run(
        capsys,
        "train",
        "--out",
        out,
        "--resume",
        "--iterations",
        "5000",
        "--hidden-units",
        "50",
        "--lr",
        "0.01",
        "--activation",
        "relu",
        "--dtype",
        "float32",
        "--data",
        other,
        "--gradients",
        "reference",
        "--standardize",
    )
    expect_one_line_error(code, err, f"cannot resume {out}: the saved run has")
    for difference in (
        "data 'flower' (asked",
        "hidden_units 3 (asked 50)",
        "activation 'tanh' (asked 'relu')",
        "dtype 'float64' (asked 'float32')",
        "gradients 'manual' (asked 'reference')",
        "standardize False (asked True)",
    ):
        assert difference in err
    assert "lr" not in err.split("the saved run has")[1].split(";")[0]  # the learning rate may change
    assert code == 1 and all((out / n).read_bytes() == c for n, c in before.items())


def test_resume_with_flags_left_out_keeps_the_saved_settings_not_the_defaults(capsys, tmp_path):
    out = tmp_path / "r"
    assert run(capsys, "train", "--out", out, "--lr", "0.5", "--chunk", "70", *FAST)[0] == 0
    code, stdout, _ = run(capsys, "train", "--out", out, "--resume", "--iterations", "400")
    assert code == 0 and "changed on resume: iterations 300 -> 400" in stdout and "lr" not in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["lr"] == 0.5 and summary["config"]["chunk"] == 70
    assert summary["config"]["hidden_units"] == 3 and summary["config"]["dtype"] == "float64"


def test_resume_may_change_the_learning_rate_and_says_so_in_the_output_and_the_summary(capsys, tmp_path):
    out = tmp_path / "r"
    assert run(capsys, "train", "--out", out, *FAST)[0] == 0
    code, stdout, _ = run(
        capsys,
        "train",
        "--out",
        out,
        "--resume",
        "--iterations",
        "500",
        "--lr",
        "0.3",
        "--checkpoint-every",
        "5",
        "--dtype",
        "float64",
    )  # the saved dtype: no difference
    assert code == 0
    assert "changed on resume: lr 1.2 -> 0.3, iterations 300 -> 500, checkpoint_every 10.0 -> 5.0" in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["changed_on_resume"] == {"lr": [1.2, 0.3], "iterations": [300, 500], "checkpoint_every": [10.0, 5.0]}
    assert [(s["start"], s["lr"]) for s in summary["segments"]] == [(0, 1.2), (300, 0.3)]
    assert checkpoint.load(out).segments == tuple(summary["segments"])


def test_resume_refuses_a_csv_that_changed_since_the_run_started(capsys, tmp_path):
    X, Y = data.flower()
    path = write_csv(tmp_path / "d.csv", X, Y)
    out = tmp_path / "r"
    assert run(capsys, "train", "--out", out, "--data", path, *FAST)[0] == 0
    before = (out / "model.npz").read_bytes()
    write_csv(path, X[:, :-1], Y[:, :-1])  # one row fewer
    code, _, err = run(capsys, "train", "--out", out, "--resume", "--iterations", "400")
    expect_one_line_error(
        code,
        err,
        f"the data {path} changed since the run started (400 rows x 3 columns then, 399 x 3 now; content sha256",
    )
    assert (out / "model.npz").read_bytes() == before


# --------------------------------------------------------------------------- the output folder


def test_leftovers_of_a_killed_run_are_removed_before_training_and_nothing_else(capsys, previous_run):
    out, _ = previous_run
    for name in (".model.npz.a1b2c3.tmp", ".summary.json.zz.tmp", "notes.tmp"):
        (out / name).write_bytes(b"\0" * 1000)
    assert run(capsys, "train", "--out", out, "--overwrite", *FAST)[0] == 0
    assert sorted(os.listdir(out)) == [
        ".shallownet.lock",
        "cost.png",
        "decision_boundary.png",
        "model.npz",
        "notes.tmp",
        "summary.json",
    ]


def test_a_second_run_into_a_folder_in_use_is_refused(capsys, previous_run):
    out, before = previous_run
    with open(out / ".shallownet.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a run in progress holds it
        code, _, err = run(capsys, "train", "--out", out, "--overwrite", *FAST)
    expect_one_line_error(code, err, f"another shallownet run is writing to {out}")
    assert all((out / n).read_bytes() == c for n, c in before.items())


def test_the_memory_estimate_names_the_sizes_when_the_run_will_not_fit(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(memory, "host_available", lambda: 2**20)
    code, _, err = run(capsys, "train", "--out", tmp_path / "r", "--chunk", "200000", "--iterations", "200000")
    expect_one_line_error(
        code,
        err,
        "the run needs about 9.6 MiB but only 1.0 MiB of available host memory is "
        "left: cost buffer 5.3 MiB (200000 iterations per chunk",
    )
    assert not (tmp_path / "r").exists()


def test_a_sweep_reports_a_diverging_network_and_goes_on(capsys, tmp_path):
    code, out, _ = run(
        capsys,
        "sweep",
        "--hidden-units",
        "2",
        "--lr",
        "1.2",
        "1e300",
        "--iterations",
        "300",
        "--activation",
        "identity",
        "--out",
        tmp_path / "s",
        "--no-plots",
    )
    assert code == 0
    lines = out.splitlines()
    assert "diverged" in lines[0] and lines[1].split()[:2] == ["2", "1.2"] and " at " not in lines[1]
    record = json.loads((tmp_path / "s" / "sweep.json").read_text())
    at = record["networks"][1]["diverged_at"]
    assert lines[2].split()[:2] == ["2", "1e+300"] and lines[2].endswith(f"at {at}") and 0 < at < 300
    assert record["networks"][0]["diverged_at"] is None and record["networks"][0]["iterations"] == 300
    diverged = checkpoint.load(tmp_path / "s" / "networks" / "01-nh2-lr1e+300-identity-seedcourse")
    assert diverged.status == "diverged" and diverged.iteration == at  # its last finite parameters


def test_a_sweep_with_seeds_a_split_and_plots_writes_everything(capsys, tmp_path):
    code, out, err = run(
        capsys,
        "sweep",
        "--hidden-units",
        "2",
        "4",
        "--activation",
        "tanh",
        "relu",
        "--seeds",
        "3",
        "--test-split",
        "0.25",
        "--standardize",
        "--iterations",
        "200",
        "--out",
        tmp_path / "s",
    )
    assert code == 0, err
    assert visible(tmp_path / "s") == sorted(
        ["sweep.csv", "sweep.json", "accuracy.png", "decision_boundaries.png", "networks"]
    )
    lines = out.splitlines()
    assert "activation" in lines[0] and "test %" in lines[0] and "±" in lines[1]
    assert [line.split()[:2] for line in lines[1:5]] == [["2", "tanh"], ["2", "relu"], ["4", "tanh"], ["4", "relu"]]
    record = json.loads((tmp_path / "s" / "sweep.json").read_text())
    assert record["settings"]["seeds"] == [0, 1, 2] and record["settings"]["init"] == "random"
    assert record["settings"]["test_examples"] == 100 and len(record["networks"]) == 12


def test_a_signal_after_the_last_chunk_lets_the_files_be_written_then_exits_128_plus_it(capsys, tmp_path, monkeypatch):
    from shallownet import sweep

    real = sweep.write_outputs

    def signalled(*args, **kwargs):
        signal.raise_signal(signal.SIGTERM)  # noted (training is over), not raised
        return real(*args, **kwargs)

    monkeypatch.setattr(sweep, "write_outputs", signalled)
    code, out, err = run(
        capsys, "sweep", "--hidden-units", "2", "--iterations", "50", "--out", tmp_path / "s", "--no-plots"
    )
    assert code == 128 + signal.SIGTERM
    assert visible(tmp_path / "s") == ["networks", "sweep.csv", "sweep.json"] and "logistic regression" in out
    expect_one_line_error(code, err, "interrupted by SIGTERM after the sweep finished; wrote")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--seeds", "3", "--init", "course"], "seeds (--seeds) 3 needs --init random"),
        (["--seeds", "0"], "seeds (--seeds) must be a whole number >= 1, got 0"),
        (["--seeds", "1_0"], "argument --seeds: '1_0' is not a number"),
        (["--activation", "tanh", "leaky_relu:nan"], "the leaky_relu slope must be a finite number"),
        (["--test-split", "1.5"], "test_split (--test-split) must be in [0, 1)"),
    ],
)
def test_the_sweep_refuses_what_train_refuses_with_exit_2(capsys, tmp_path, argv, message):
    code, _, err = run(capsys, "sweep", "--out", tmp_path / "s", *argv)
    expect_one_line_error(code, err, message)
    assert code == 2 and not (tmp_path / "s").exists()


def test_the_memory_of_all_networks_at_once_is_checked_before_compiling(capsys, monkeypatch, tmp_path):
    """Each network alone fits; 2,000 of them at once do not."""
    one = memory.estimate(n_x=2, n_y=1, n_h=50, m=400, capacity=1000, dtype="float64")
    monkeypatch.setattr(memory, "host_available", lambda: 20 * sum(b for b, _, _ in one.values()))
    code, _, err = run(capsys, "sweep", "--hidden-units", "50", "--seeds", "2000", "--out", tmp_path / "s")
    expect_one_line_error(code, err, "the run needs about")
    assert "2000 networks" in err and not (tmp_path / "s").exists()
    assert code == 1


def test_an_unwritable_sweep_out_is_refused_before_training(capsys, tmp_path):
    (tmp_path / "file").write_text("x")
    code, _, err = run(capsys, "sweep", "--out", tmp_path / "file", "--iterations", "10")
    expect_one_line_error(code, err, "is an existing file")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_request_outside_training_exits_128_plus_the_signal_in_one_line(capsys, monkeypatch, signum):
    from shallownet import sweep

    def stopped(*args, **kwargs):
        raise signals.Stop(signum)  # what signals.raising() raises for it

    monkeypatch.setattr(sweep, "train_grid", stopped)
    code, _, err = run(capsys, "sweep", "--hidden-units", "2", "--iterations", "10")
    expect_one_line_error(code, err, f"shallownet: interrupted by {signal.Signals(signum).name}")
    assert code == 128 + signum


def test_the_parser_and_help_import_neither_jax_nor_numpy():
    """--help builds the whole parser (every flag from RunConfig): nothing heavy may load for it."""
    code = (
        "import sys, shallownet.cli as cli; cli.build_parser(); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'jax', 'numpy', 'manual', 'matplotlib'}))"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "[]"
