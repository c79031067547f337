"""Checkpoints: exact round trip, atomic replacement, and validation of what is loaded."""
import json
import os

import numpy as np
import pytest

from shallownet import checkpoint
from shallownet.checkpoint import CheckpointError

CONFIG = {"hidden_units": 3, "activation": "tanh", "output": "sigmoid", "features": ["a", "b"],
          "labels": ["label"], "standardize": True, "lr": 1.2}


def example(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(3, 2)), "b1": rng.normal(size=(3, 1)),
              "W2": rng.normal(size=(1, 3)), "b2": rng.normal(size=(1, 1))}
    return {
        "params": {k: v.astype(dtype) for k, v in params.items()},
        "config": CONFIG,
        "feature_mean": np.array([[1.5], [-2.0]]),
        "feature_std": np.array([[0.5], [3.0]]),
        "costs": np.array([0.69, 0.5, 0.4]),
        "iteration": 3,
    }


def save(path, ck):
    checkpoint.save(path, ck["params"], config=ck["config"], feature_mean=ck["feature_mean"],
                    feature_std=ck["feature_std"], costs=ck["costs"], iteration=ck["iteration"])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_checkpoint_round_trip_is_exact(tmp_path, dtype):
    ck = example(dtype)
    save(tmp_path / "model.npz", ck)
    back = checkpoint.load(tmp_path / "model.npz")
    for k, v in ck["params"].items():
        assert back["params"][k].dtype == dtype
        np.testing.assert_array_equal(back["params"][k], v)
    for k in ("feature_mean", "feature_std", "costs"):
        np.testing.assert_array_equal(back[k], ck[k])
    assert back["iteration"] == 3 and back["config"] == CONFIG


def test_save_leaves_no_temporary_file_and_a_plain_file_mode(tmp_path):
    save(tmp_path / "model.npz", example())
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(tmp_path / "model.npz").st_mode & 0o777 == 0o666 & ~umask


def test_a_failed_write_keeps_the_previous_file(tmp_path):
    path = tmp_path / "model.npz"
    save(path, example(seed=0))
    before = path.read_bytes()

    def half_then_crash(f):
        f.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        checkpoint.atomic_write(path, half_then_crash)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


def test_saving_an_invalid_checkpoint_writes_nothing(tmp_path):
    ck = example()
    ck["params"]["W1"][0, 0] = np.nan
    with pytest.raises(CheckpointError, match="W1 contains NaN"):
        save(tmp_path / "model.npz", ck)
    assert os.listdir(tmp_path) == []


def arrays_of(ck):
    arrays = dict(ck["params"])
    arrays.update(feature_mean=ck["feature_mean"], feature_std=ck["feature_std"], costs=ck["costs"],
                  iteration=np.asarray(ck["iteration"], np.int64), config=np.asarray(json.dumps(ck["config"])))
    return arrays


def corrupt_config(a, **changes):
    a["config"] = np.asarray(json.dumps({**CONFIG, **changes}))


CORRUPTIONS = {
    "missing key": (lambda a: a.pop("b2"), r"missing \['b2'\]"),
    "extra key": (lambda a: a.update(W3=np.zeros((1, 1))), r"unexpected \['W3'\]"),
    "bias without keepdims": (lambda a: a.update(b1=np.zeros(3)), r"b1 .*shape \(3,\)"),
    "transposed bias": (lambda a: a.update(b1=np.zeros((1, 3))), r"b1 has shape \(1, 3\), expected \(3, 1\)"),
    "integer weights": (lambda a: a.update(W2=np.zeros((1, 3), np.int64)), "W2 has dtype int64"),
    "mixed float dtypes": (lambda a: a.update(W2=np.zeros((1, 3), np.float32)), "W2 has dtype float32"),
    "NaN weight": (lambda a: a["W1"].__setitem__((1, 1), np.nan), "W1 contains NaN"),
    "infinite weight": (lambda a: a["b2"].__setitem__((0, 0), np.inf), "b2 contains infinite"),
    "stats of the wrong size": (lambda a: a.update(feature_mean=np.zeros((3, 1))), r"feature_mean has shape \(3, 1\)"),
    "zero std": (lambda a: a["feature_std"].__setitem__((0, 0), 0.0), "feature_std must be positive"),
    "cost history too short": (lambda a: a.update(iteration=np.asarray(5, np.int64)), "costs must be float64 of length"),
    "config not JSON": (lambda a: a.update(config=np.asarray("{not json")), "config is not valid JSON"),
    "unknown activation": (lambda a: corrupt_config(a, activation="swish"), "unknown activation 'swish'"),
    "config disagrees with W1": (lambda a: corrupt_config(a, hidden_units=5), "does not match W1"),
}


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_loading_rejects_an_inconsistent_checkpoint(tmp_path, name):
    corrupt, message = CORRUPTIONS[name]
    arrays = arrays_of(example())
    corrupt(arrays)
    path = tmp_path / "model.npz"
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(CheckpointError, match=message):
        checkpoint.load(path)


def test_loading_refuses_pickled_objects(tmp_path):
    arrays = arrays_of(example())
    arrays["config"] = np.array([{"hidden_units": 3}], dtype=object)
    path = tmp_path / "model.npz"
    with open(path, "wb") as f:
        np.savez(f, **arrays)
    with pytest.raises(CheckpointError, match="not a readable .npz checkpoint.*allow_pickle"):
        checkpoint.load(path)


@pytest.mark.parametrize("content", [b"", b"not a zip file at all"])
def test_loading_rejects_a_file_that_is_not_an_npz(tmp_path, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="not a readable .npz checkpoint"):
        checkpoint.load(path)


def test_loading_a_missing_file_says_so(tmp_path):
    with pytest.raises(CheckpointError, match="no model file at"):
        checkpoint.load(tmp_path / "model.npz")
