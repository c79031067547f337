"""Data sets in the course's convention: X (n_x, m), Y (n_y, m), examples are columns.

- ``flower()``: the course's planar data set, generated exactly as the course does.
- ``extra(name)``: the course's extra sets (noisy circles, noisy moons, blobs,
  gaussian quantiles), from scikit-learn's generators (optional extra ``sklearn``).
- ``load_csv(path, labels)``: a user's CSV, one example per row.
- ``split``, ``feature_stats``, ``standardize``: seeded train/test split and
  feature standardization (the statistics travel with the model).

Bad input raises ``DataError`` (a ValueError) with one line naming the problem.
"""
import csv
from pathlib import Path

import numpy as np

EXTRA_DATASETS = ("noisy_circles", "noisy_moons", "blobs", "gaussian_quantiles")
DATASETS = ("flower",) + EXTRA_DATASETS
# The course's load_extra_datasets passes no seed for circles, moons and
# quantiles (they follow the notebook's global RNG state); we fix one so a run
# can be repeated. Blobs keep the course's random_state=5.
EXTRA_SEED = 1


class DataError(ValueError):
    """The data cannot be used: missing file or column, non-numeric cell, NaN, bad split."""


def flower(seed=1, m=400):
    """The course's planar "flower": X (2, 400) float64, Y (1, 400) uint8 (200 zeros then 200 ones).

    Generated exactly as the course's ``load_planar_dataset`` does (legacy
    np.random.seed(1), petals r = 4 sin(4t) + noise), so its published numbers
    can be reproduced. The global legacy RNG state is saved and restored.
    """
    state = np.random.get_state()
    try:
        np.random.seed(seed)
        N, a = m // 2, 4
        X = np.zeros((m, 2))
        Y = np.zeros((m, 1), dtype="uint8")
        for j in range(2):
            ix = range(N * j, N * (j + 1))
            t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2
            r = a * np.sin(4 * t) + np.random.randn(N) * 0.2
            X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
            Y[ix] = j
    finally:
        np.random.set_state(state)
    return X.T, Y.T


def extra(name, seed=EXTRA_SEED):
    """One of the course's extra sets, N = 200: X (2, 200) float64, Y (1, 200) uint8.

    Same generator calls as the course's ``load_extra_datasets``; blobs has six
    centers and its labels are taken mod 2 (as the notebook does) to make it binary.
    """
    if name not in EXTRA_DATASETS:
        raise DataError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)} or a .csv file")
    try:
        from sklearn import datasets
    except ModuleNotFoundError:
        raise DataError(
            f"data set {name!r} needs scikit-learn: pip install 'shallownet[sklearn]'"
        ) from None
    N = 200
    if name == "noisy_circles":
        X, y = datasets.make_circles(n_samples=N, factor=.5, noise=.3, random_state=seed)
    elif name == "noisy_moons":
        X, y = datasets.make_moons(n_samples=N, noise=.2, random_state=seed)
    elif name == "blobs":
        X, y = datasets.make_blobs(n_samples=N, random_state=5, n_features=2, centers=6)
        y = y % 2
    else:
        X, y = datasets.make_gaussian_quantiles(mean=None, cov=0.5, n_samples=N, n_features=2,
                                                n_classes=2, shuffle=True, random_state=seed)
    return np.asarray(X, np.float64).T, np.asarray(y, np.uint8).reshape(1, -1)


def _parse_cells(rows, header, path):
    """Rows of strings -> float64 (rows, columns); DataError names the first bad cell."""
    values = np.empty((len(rows), len(header)))
    for r, (line, row) in enumerate(rows):
        for c, (name, cell) in enumerate(zip(header, row)):
            where = f"{path}, line {line}, column {name!r}"
            if not cell.strip():
                raise DataError(f"{where}: empty cell")
            try:
                v = float(cell)
            except ValueError:
                raise DataError(f"{where}: {cell.strip()!r} is not a number") from None
            if not np.isfinite(v):
                raise DataError(f"{where}: {'NaN' if np.isnan(v) else 'infinite value'}")
            values[r, c] = v
    return values


def read_table(path):
    """A numeric CSV with a header row -> (column names, values (rows, columns) float64)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"CSV file not found: {path}")
    if not path.is_file():
        raise DataError(f"{path} is not a file")
    try:
        with open(path, newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            rows = [(reader.line_num, row) for row in reader if row]
    except (UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"{path}: cannot be read as CSV ({e})") from None
    if header is None:
        raise DataError(f"{path} is empty; expected a header row naming the columns")
    header = [h.strip() for h in header]
    if not rows:
        raise DataError(f"{path}: no data rows after the header")
    for line, row in rows:
        if len(row) != len(header):
            raise DataError(f"{path}, line {line}: {len(row)} cells but the header has {len(header)} columns")
    return header, _parse_cells(rows, header, path)


def columns(header, values, names, path):
    """The named columns as rows: (len(names), examples); DataError for a missing name."""
    for name in names:
        if name not in header:
            raise DataError(f"{path}: no column named {name!r}; the columns are {', '.join(header)}")
    return np.ascontiguousarray(values[:, [header.index(n) for n in names]].T)


def load_csv(path, labels=("label",)):
    """A CSV with a header row, one example per row -> (X (n_x, m), Y (n_y, m), feature names).

    ``labels`` names the label column(s); every other column is a feature. The
    rows are transposed to the course's columns-are-examples convention.
    """
    header, values = read_table(path)
    Y = columns(header, values, labels, path)
    features = [h for h in header if h not in labels]
    if not features:
        raise DataError(f"{path}: no feature columns besides the label column(s) {', '.join(labels)}")
    return columns(header, values, features, path), Y, features


def load(source, labels=("label",), seed=EXTRA_SEED):
    """A built-in set by name, or a CSV path: (X, Y, feature names, label names)."""
    if source == "flower":
        X, Y = flower()
        return X, Y, ["x1", "x2"], ["label"]
    if source in EXTRA_DATASETS:
        X, Y = extra(source, seed)
        return X, Y, ["x1", "x2"], ["label"]
    if str(source).lower().endswith(".csv") or Path(source).exists():
        X, Y, features = load_csv(source, labels)
        return X, Y, features, list(labels)
    raise DataError(f"unknown data set {source!r}; choose one of {', '.join(DATASETS)} or a .csv file")


def split(X, Y, test_fraction, seed):
    """Seeded random train/test split of the columns: (X_train, Y_train, X_test, Y_test)."""
    if not 0 < test_fraction < 1:
        raise DataError(f"test fraction must be between 0 and 1, got {test_fraction}")
    m = X.shape[1]
    n_test = int(round(m * test_fraction))
    if n_test == 0 or n_test == m:
        raise DataError(f"a test fraction of {test_fraction} leaves an empty part of {m} examples")
    order = np.random.default_rng(seed).permutation(m)
    test, train = order[:n_test], order[n_test:]
    return X[:, train], Y[:, train], X[:, test], Y[:, test]


def feature_stats(X):
    """Per-feature mean and standard deviation over the examples: two (n_x, 1) float64 arrays.

    A constant feature gets std 1 (it carries no information; dividing by 0 would give NaN).
    """
    X = np.asarray(X, np.float64)
    mean = X.mean(axis=1, keepdims=True)
    std = X.std(axis=1, keepdims=True)
    return mean, np.where(std > 0, std, 1.0)


def standardize(X, mean, std):
    """(X - mean) / std per feature row; X (n_x, m), mean and std (n_x, 1)."""
    return (np.asarray(X, np.float64) - mean) / std
