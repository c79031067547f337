"""Data sets: the course's flower and extra sets, a user's CSV, split and standardization."""
import sys

import numpy as np
import pytest

from shallownet import data
from shallownet.data import DataError


def test_flower_is_the_courses_planar_set():
    X, Y = data.flower()
    assert X.shape == (2, 400) and X.dtype == np.float64
    assert Y.shape == (1, 400) and Y.dtype == np.uint8
    np.testing.assert_array_equal(Y[0], np.repeat([0, 1], 200))
    # Petal radius r = 4 sin(4t) + 0.2 noise: no point lies far outside radius 4.
    assert np.max(np.hypot(X[0], X[1])) < 4.8


def test_flower_is_repeatable_and_leaves_the_global_rng_alone():
    np.random.seed(123)
    expected_next = np.random.rand()
    np.random.seed(123)
    X1, _ = data.flower()
    assert np.random.rand() == expected_next
    X2, _ = data.flower()
    np.testing.assert_array_equal(X1, X2)


@pytest.mark.parametrize("name", data.EXTRA_DATASETS)
def test_extra_sets_are_binary_two_feature_sets_of_200(name):
    X, Y = data.extra(name)
    assert X.shape == (2, 200) and X.dtype == np.float64
    assert Y.shape == (1, 200) and Y.dtype == np.uint8
    assert set(np.unique(Y)) == {0, 1}
    X2, Y2 = data.extra(name)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(Y, Y2)


def test_blobs_labels_are_the_six_centers_mod_2():
    from sklearn.datasets import make_blobs

    _, centers = make_blobs(n_samples=200, random_state=5, n_features=2, centers=6)
    _, Y = data.extra("blobs")
    np.testing.assert_array_equal(Y[0], centers % 2)


def test_extra_set_without_scikit_learn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(DataError, match=r"needs scikit-learn: pip install 'shallownet\[sklearn\]'"):
        data.extra("noisy_moons")


def test_unknown_data_set_names_the_choices():
    with pytest.raises(DataError, match="unknown data set 'spiral'.*flower.*noisy_moons"):
        data.load("spiral")


def write(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_rows_become_columns(tmp_path):
    path = write(tmp_path, "a,label,b\n1,0,10\n2,1,20\n3,1,30\n")
    X, Y, features = data.load_csv(path)
    assert features == ["a", "b"]
    np.testing.assert_array_equal(X, [[1, 2, 3], [10, 20, 30]])
    np.testing.assert_array_equal(Y, [[0, 1, 1]])
    assert X.dtype == Y.dtype == np.float64


def test_csv_with_several_label_columns_gives_n_y_rows(tmp_path):
    path = write(tmp_path, "x,y1,y2\n0.5,0,1\n1.5,1,0\n")
    X, Y, features = data.load_csv(path, labels=["y1", "y2"])
    assert X.shape == (1, 2) and Y.shape == (2, 2) and features == ["x"]
    np.testing.assert_array_equal(Y, [[0, 1], [1, 0]])


@pytest.mark.parametrize("text, labels, message", [
    ("a,b\n1,0\n", ["label"], r"no column named 'label'; the columns are a, b"),
    ("a,label\n1,0\n2,x\n", ["label"], r"line 3, column 'label': 'x' is not a number"),
    ("a,label\n1,0\n,1\n", ["label"], r"line 3, column 'a': empty cell"),
    ("a,label\nnan,0\n", ["label"], r"line 2, column 'a': NaN"),
    ("a,label\ninf,0\n", ["label"], r"line 2, column 'a': infinite value"),
    ("a,label\n1,0,5\n", ["label"], r"line 2: 3 cells but the header has 2 columns"),
    ("", ["label"], r"is empty; expected a header row"),
    ("a,label\n", ["label"], r"no data rows after the header"),
    ("label\n1\n", ["label"], r"no feature columns besides the label column"),
])
def test_bad_csv_is_rejected_naming_the_problem(tmp_path, text, labels, message):
    with pytest.raises(DataError, match=message):
        data.load_csv(write(tmp_path, text), labels)


def test_missing_csv_is_rejected(tmp_path):
    with pytest.raises(DataError, match="CSV file not found: .*nope.csv"):
        data.load(str(tmp_path / "nope.csv"))


@pytest.mark.parametrize("seed", [0, 7])
def test_split_is_seeded_and_partitions_the_examples(seed):
    X = np.arange(20, dtype=np.float64).reshape(2, 10)
    Y = (np.arange(10) % 2).reshape(1, 10)
    Xtr, Ytr, Xte, Yte = data.split(X, Y, 0.3, seed)
    assert Xtr.shape == (2, 7) and Xte.shape == (2, 3) and Ytr.shape == (1, 7) and Yte.shape == (1, 3)
    np.testing.assert_array_equal(np.sort(np.concatenate([Xtr[0], Xte[0]])), X[0])
    np.testing.assert_array_equal(Xtr[1] - Xtr[0], 10)  # columns stay whole examples
    np.testing.assert_array_equal(Ytr[0], Xtr[0] % 2)
    again = data.split(X, Y, 0.3, seed)
    np.testing.assert_array_equal(again[0], Xtr)


def test_split_differs_between_seeds():
    X = np.arange(100, dtype=np.float64).reshape(1, 100)
    Y = np.zeros((1, 100))
    assert not np.array_equal(data.split(X, Y, 0.5, 0)[2], data.split(X, Y, 0.5, 1)[2])


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 0.01])
def test_split_rejects_a_fraction_leaving_a_part_empty(fraction):
    with pytest.raises(DataError, match="test fraction"):
        data.split(np.zeros((1, 10)), np.zeros((1, 10)), fraction, 0)


def test_standardized_features_have_mean_0_and_std_1():
    rng = np.random.default_rng(0)
    X = rng.normal([[100.0], [-3.0]], [[25.0], [0.01]], size=(2, 500))
    mean, std = data.feature_stats(X)
    assert mean.shape == std.shape == (2, 1)
    Z = data.standardize(X, mean, std)
    np.testing.assert_allclose(Z.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=1), 1, rtol=1e-12)


def test_a_constant_feature_gets_std_1_not_a_division_by_zero():
    X = np.array([[5.0, 5.0, 5.0], [1.0, 2.0, 3.0]])
    mean, std = data.feature_stats(X)
    assert std[0, 0] == 1.0
    Z = data.standardize(X, mean, std)
    assert np.all(np.isfinite(Z)) and np.all(Z[0] == 0)
