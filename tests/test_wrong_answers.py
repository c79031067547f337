"""No wrong number in silence, messages that point at the cause (issue 21, the engine's side).

Scores refuse labels they cannot score; predict scores the rows it can and names the others; a
value too large for the dtype is named as such; a run resumes from a copy of its data (the content's
fingerprint, not the path as typed).
"""

import gzip
import os
import re
import shutil

import numpy as np
import pytest

from shallownet import checkpoint, data, evaluate, train
from test_cli import FAST, run


def write_csv(path, X, Y):
    rows = [f"{float(a)!r},{float(b)!r},{float(y):g}" for a, b, y in zip(X[0], X[1], Y[0])]
    path.write_text("x1,x2,label\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def small():
    """14 flower examples (both classes) and an untrained network's parameters."""
    X, Y = data.flower()
    X, Y = X[:, 190:204], Y[:, 190:204]
    params = train.init_params(2, 4, 1, seed=0)
    return X, Y, params


def test_accuracy_of_labels_given_as_rows_is_refused_not_broadcast(small):
    X, Y, params = small
    truth = train.accuracy(params, X, Y)
    assert truth == pytest.approx(100 * np.mean(train.predict(params, X) == Y))
    with pytest.raises(ValueError, match=r"Y has shape \(14, 1\), one example per row.*use Y\.T"):
        train.accuracy(params, X, Y.T)  # broadcast, it was scored over 14 x 14 pairs


@pytest.mark.parametrize("label", [2.0, -1.0, np.nan])
def test_accuracy_and_score_refuse_labels_a_sigmoid_cannot_have(small, label):
    X, Y, params = small
    bad = Y.astype(np.float64)
    bad[0, 3] = label
    with pytest.raises(ValueError, match=r"labels must be 0 or 1 for the sigmoid output; example 4 has"):
        train.accuracy(params, X, bad)
    with pytest.raises(ValueError, match="labels must be 0 or 1"):
        evaluate.score(train.predict(params, X), bad, "sigmoid")


def test_predict_scores_the_rows_it_can_and_names_the_bad_label(capsys, tmp_path):
    X, Y = data.flower()
    assert run(capsys, "train", "--out", tmp_path / "run", *FAST)[0] == 0
    labels = Y.astype(np.float64)
    labels[0, 6] = 2
    path = write_csv(tmp_path / "points.csv", X, labels)
    code, out, err = run(capsys, "predict", "--model", tmp_path / "run", "--data", path)
    assert code == 0 and len(out.splitlines()) == 1 + 400  # every row predicted
    assert f"scored 399 of 400 rows: {path}, line 8, column 'label': label 2 is not 0 or 1" in err
    predicted = np.array([int(v) for v in out.splitlines()[1:]])
    keep = np.arange(400) != 6
    expected = 100 * np.mean(predicted[keep] == Y[0, keep])
    assert f"accuracy: {expected:.2f}%" in err


def test_a_value_too_large_for_float32_is_named_not_blamed_on_the_learning_rate(capsys, tmp_path):
    X, Y = data.flower()
    X = X.copy()
    X[0, 4] = 3e39
    path = write_csv(tmp_path / "big.csv", X, Y)
    code, _, err = run(capsys, "train", "--data", path, "--out", tmp_path / "r")
    assert code == 1
    assert f"{path}, line 6, column 'x1': 3e+39 is too large for float32 (largest 3.4e+38); rescale it" in err
    assert "learning rate" not in err and not (tmp_path / "r").exists()


@pytest.mark.parametrize("how", ["a copy elsewhere", "a gzip copy", "an absolute path from another folder"])
def test_a_run_resumes_from_its_data_wherever_it_now_lies(capsys, tmp_path, monkeypatch, how):
    X, Y = data.flower()
    first = tmp_path / "a"
    first.mkdir()
    write_csv(first / "points.csv", X, Y)
    monkeypatch.chdir(first)
    assert run(capsys, "train", "--data", "points.csv", "--out", tmp_path / "run", *FAST)[0] == 0
    other = tmp_path / "b"
    other.mkdir()
    if how == "a copy elsewhere":
        given = shutil.copy(first / "points.csv", other / "copy.csv")
    elif how == "a gzip copy":
        given = other / "points.csv.gz"
        given.write_bytes(gzip.compress((first / "points.csv").read_bytes()))
    else:
        given = first / "points.csv"
    monkeypatch.chdir(other)
    code, out, err = run(capsys, "train", "--resume", "--data", os.fspath(given), "--out", tmp_path / "run",
                         "--iterations", "600")  # fmt: skip
    assert code == 0, err
    assert "changed on resume: data points.csv ->" in out
    assert checkpoint.load(tmp_path / "run" / "model.npz").iteration == 600


def test_a_resume_on_other_content_is_still_refused(capsys, tmp_path, monkeypatch):
    X, Y = data.flower()
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "points.csv", X, Y)
    assert run(capsys, "train", "--data", "points.csv", "--out", "run", *FAST)[0] == 0
    write_csv(tmp_path / "other.csv", X[:, :399], Y[:, :399])
    code, _, err = run(capsys, "train", "--resume", "--data", "other.csv", "--out", "run", "--iterations", "600")
    assert code == 1 and "the saved run has data 'points.csv' (asked 'other.csv')" in err


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"lr": -1.2}, "lr must be a finite number > 0, got -1.2"),
        ({"lr": 0}, "lr must be a finite number > 0, got 0"),
        ({"lr": "1.2"}, "lr must be a number, got str '1.2'"),
        ({"lr": float("nan")}, "lr must be a finite number > 0, got nan"),
        ({"dtype": "float16"}, "dtype must be one of float32, float64, got float16"),
        ({"dtype": "bfloat16"}, "dtype must be one of float32, float64, got bfloat16"),
        ({"dtype": "complex64"}, "dtype must be one of float32, float64, got complex64"),
        ({"activation": "leaky_relu:1_0"}, "leaky_relu slope must be a number, got '1_0'"),
        ({"iterations": -5}, "iterations must be at least 1, got -5"),
        ({"iterations": 0}, "iterations must be at least 1, got 0"),
    ],
)
def test_train_refuses_settings_that_would_give_a_wrong_number(small, settings, message):
    X, Y, params = small
    with pytest.raises(ValueError, match=re.escape(message)):
        train.train(params, X, Y, **{"iterations": 5, **settings})


def test_a_network_without_hidden_units_is_refused():
    with pytest.raises(ValueError, match="n_h must be at least 1, got 0"):
        train.init_params(2, 0, 1)
