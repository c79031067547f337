"""Data sets in the course's convention, X (n_x, m) and Y (n_y, m), examples are columns: the course's flower and
extra sets, or a user's CSV read strictly. ``prepare(config)`` loads, splits and standardizes what training uses.
Bad input raises ``DataError`` (a ValueError) with one line naming the problem: the file, line and column.
"""

import csv
import gzip
import hashlib
import io
import math
import os
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from tqdm import tqdm

from checker.numbers import NUMBER, number_problem

if TYPE_CHECKING:
    from .config import RunConfig

PathLike = str | os.PathLike[str]

# The course's load_extra_datasets: scikit-learn's generators, N = 200. It passes no seed for circles, moons and
# quantiles (they follow the notebook's global RNG state); EXTRA_SEED fixes one so a run can be repeated.
EXTRA: dict[str, tuple[str, dict[str, Any]]] = {
    "noisy_circles": ("make_circles", {"factor": 0.5, "noise": 0.3}),
    "noisy_moons": ("make_moons", {"noise": 0.2}),
    "blobs": ("make_blobs", {"random_state": 5, "n_features": 2, "centers": 6}),  # labels mod 2, as the notebook's
    "gaussian_quantiles": ("make_gaussian_quantiles", {"cov": 0.5, "n_features": 2, "n_classes": 2}),
}
EXTRA_DATASETS = tuple(EXTRA)
DATASETS = ("flower",) + EXTRA_DATASETS
EXTRA_SEED = 1
UNKNOWN = "unknown data set {!r}; choose one of " + ", ".join(DATASETS) + " or a .csv file"


class DataError(ValueError):
    """The data cannot be used: missing file or column, non-numeric cell, NaN, bad split."""


def flower(seed: int = 1, m: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """The course's planar "flower", X (2, 400) float64 and Y (1, 400) uint8, drawn exactly as its
    ``load_planar_dataset`` (so its published numbers reproduce), leaving the global RNG state as it was."""
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


def extra(name: str, seed: int = EXTRA_SEED) -> tuple[np.ndarray, np.ndarray]:
    """One of the course's extra sets (``EXTRA``): X (2, 200) float64, Y (1, 200) uint8."""
    if name not in EXTRA:
        raise DataError(UNKNOWN.format(name))
    try:
        from sklearn import datasets
    except ModuleNotFoundError:
        raise DataError(f"data set {name!r} needs scikit-learn: pip install 'shallownet[sklearn]'") from None
    function, settings = EXTRA[name]
    X, y = getattr(datasets, function)(n_samples=200, **{"random_state": seed, **settings})
    return np.asarray(X, np.float64).T, np.asarray(y % 2, np.uint8).reshape(1, -1)


# A CSV is read strictly: what a spreadsheet or a hand-edited file may hold by accident (a BOM, a repeated column
# name, "1_000", "NA") stops the run with the file, line and column named, instead of being misread.
GZIP_MAGIC, ZIP_MAGIC = b"\x1f\x8b", b"PK\x03\x04"  # the first bytes of files a CSV is often confused with
PROGRESS_BYTES = 16 * 2**20  # a progress bar for files this large, when stderr is a terminal
SAVE_AS = 'save it as "CSV UTF-8"'


def content(path: PathLike) -> bytes:
    """The CSV's bytes, decompressed when it is gzip (whatever its name); DataError for a missing or unreadable file,
    a damaged gzip stream, or a zip archive (an Excel workbook)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} is not a file" if path.exists() else f"CSV file not found: {path}")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path} cannot be read ({e.strerror})") from None
    if raw.startswith(ZIP_MAGIC):
        raise DataError(f"{path} is a zip archive (an Excel .xlsx workbook?), not CSV text; {SAVE_AS}")
    try:
        return gzip.decompress(raw) if raw.startswith(GZIP_MAGIC) else raw
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path} is gzip-compressed but cannot be decompressed ({e})") from None


def fingerprint(source: PathLike) -> str:
    """sha256 (hex) of a data set's content: a CSV's bytes (decompressed if gzip), or a built-in set's arrays.
    The resume check compares this, not the path as typed (relative, absolute, a link, a gzip copy)."""
    if str(source) in DATASETS:
        return load(str(source)).fingerprint.sha256
    return hashlib.sha256(content(source)).hexdigest()


def _check_encoding(raw: bytes, path: PathLike) -> None:
    """UTF-8, with or without Excel's byte-order mark; DataError names another encoding, or a NUL byte, by line."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f'{path} is UTF-16 text (Excel\'s "Unicode text"); {SAVE_AS}')
    sample = raw[:256]
    if len(sample) >= 4 and (not any(sample[1::2]) or not any(sample[0::2])):
        # Every other byte 0: ASCII text in UTF-16 that lost its byte-order mark (UTF-8 text holds no NUL).
        raise DataError(f"{path} is UTF-16 text without a byte-order mark; {SAVE_AS}")
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(
            f'{path}, line {line}: byte 0x{raw[e.start]:02x} is not UTF-8; save the file as "CSV UTF-8"'
        ) from None
    if b"\x00" in raw:
        line = raw[: raw.find(b"\x00")].count(b"\n") + 1
        raise DataError(f"{path}, line {line}: a NUL byte (0x00); this is not a text file")


def _check_header(header: tuple[str, ...], path: PathLike) -> None:
    if "" in header:
        raise DataError(f"{path}: column {header.index('') + 1} of the header has no name")
    repeated = {k: [i for i, name in enumerate(header, 1) if name == k] for k in header if header.count(k) > 1}
    if repeated:
        listed = "; ".join(f"{k!r} (columns {', '.join(map(str, v[:-1]))} and {v[-1]})" for k, v in repeated.items())
        raise DataError(f"{path}: duplicate column names {listed}; every column needs its own name")
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        raise DataError(
            f"{path}: the header is one column {header[0]!r}; shallownet reads comma-separated "
            "values (is this file separated by ';' or tabs?)"
        )


def _check_row(row: list[str], line: int, end: int, header: tuple[str, ...], path: PathLike) -> None:
    """Why a data row spanning lines line..end does not parse: a comment, an emptied row, a runaway quote, a wrong
    cell count (called only for such a row, so the rows that do parse cost nothing more)."""
    if row[0].lstrip().startswith("#"):
        raise DataError(f"{path}, line {line}: a comment line ('#'); a CSV has no comments: delete the line")
    if not any(cell.strip() for cell in row):
        raise DataError(f"{path}, line {line}: every cell is empty (a row emptied in a spreadsheet?); delete the row")
    if end > line and any("\n" in cell or "\r" in cell for cell in row):
        raise DataError(
            f"{path}, line {line}: a quoted cell opened on this line runs to line {end} (a closing '\"' missing?)"
        )
    if len(row) != len(header):
        raise DataError(f"{path}, line {line}: {len(row)} cells but the header has {len(header)} columns")


def _parse_rows(reader: Any, header: tuple, path: PathLike, most: int, bar: Any) -> tuple[np.ndarray, np.ndarray]:
    """The data rows as values (rows, columns) float64 and the line where each row starts, filled in place into
    arrays sized by the line count (a list of rows of strings took ~10x the values' memory at 1M rows)."""
    values, lines = np.empty((most, len(header))), np.empty(most, np.int64)
    count, last, fullmatch = 0, reader.line_num, NUMBER.fullmatch
    try:
        for row in reader:
            line, last = last + 1, reader.line_num
            if not row:
                continue  # a blank line holds no cells to be empty
            if len(row) != len(header):
                _check_row(row, line, last, header, path)
            row_values = values[count]
            for column, cell in enumerate(row):
                cell = cell.strip()
                if fullmatch(cell) and math.isfinite(value := float(cell)):
                    row_values[column] = value
                    continue
                _check_row(row, line, last, header, path)  # a cause of the bad cell (a comment...), if any
                raise DataError(f"{path}, line {line}, column {header[column]!r}: {number_problem(cell)}")
            lines[count] = line
            count += 1
            if count % 65536 == 0:
                bar.update(65536)
    except csv.Error as e:
        raise DataError(f"{path}, line {last + 1}: cannot be read as CSV ({e})") from None
    bar.update(count % 65536)
    bar.total = count  # the line count was an upper bound (blank lines, the header)
    return values[:count], lines[:count]


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """What identifies a data set: sha256 of its bytes (a CSV file's, or the generated arrays'), shape, columns."""

    sha256: str
    rows: int
    columns: tuple

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "rows": self.rows, "columns": list(self.columns)}

    @classmethod
    def from_dict(cls, saved: Any) -> Self:
        types = {"sha256": str, "rows": int, "columns": list}
        well_formed = isinstance(saved, dict) and set(saved) == set(types)
        well_formed = well_formed and all(isinstance(saved[key], kind) for key, kind in types.items())
        if not (well_formed and all(isinstance(column, str) for column in saved["columns"])):
            raise ValueError(f"a data fingerprint is {{sha256, rows, columns}}, got {saved!r}")
        return cls(saved["sha256"], saved["rows"], tuple(saved["columns"]))

    def differences(self, other: Self) -> list[str]:
        """Phrases saying how ``other`` differs from this one (empty: the same data)."""
        found = []
        if (self.rows, len(self.columns)) != (other.rows, len(other.columns)):
            found.append(
                f"{self.rows} rows x {len(self.columns)} columns then, {other.rows} x {len(other.columns)} now"
            )
        if self.columns != other.columns:
            found.append(f"columns {', '.join(self.columns)} then, {', '.join(other.columns)} now")
        if self.sha256 != other.sha256:
            found.append(f"content sha256 {self.sha256[:12]}... then, {other.sha256[:12]}... now")
        return found


def read_table(path: PathLike, progress: bool | None = None) -> "Examples":
    """A numeric CSV (or its gzip) with a header row, every column a feature until ``select`` picks the labels.
    ``progress``: show a bar (None: for a large file when stderr is a terminal)."""
    raw = content(path)
    _check_encoding(raw, path)
    # Decoded lazily, line by line: a StringIO of the whole text holds 4 bytes per character.
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline=""))
    try:
        first_row = next(reader, None)
    except csv.Error as e:
        raise DataError(f"{path}, line 1: cannot be read as CSV ({e})") from None
    if first_row is None:
        raise DataError(f"{path} is empty; expected a header row naming the columns")
    if first_row and first_row[0].lstrip().startswith("#"):
        raise DataError(f"{path}, line 1: a comment line ('#'); the first line must be the header naming the columns")
    header = tuple(name.strip() for name in first_row)
    _check_header(header, path)
    most, show = raw.count(b"\n") + 1, progress
    if show is None:
        show = len(raw) >= PROGRESS_BYTES and sys.stderr.isatty()
    with tqdm(total=most, desc=f"reading {Path(path).name}", unit=" rows", disable=not show, mininterval=0.5) as bar:
        values, lines = _parse_rows(reader, header, path, most, bar)
    if not len(values):
        raise DataError(f"{path}: no data rows after the header")
    made = Fingerprint(hashlib.sha256(raw).hexdigest(), len(values), header)
    return Examples(values.T, np.empty((0, len(values))), header, (), made, str(path), lines)


@dataclass(frozen=True, eq=False)
class Examples:
    """A data set as loaded: X (n_x, m) float64, Y (n_y, m), their column names, fingerprint."""

    X: np.ndarray
    Y: np.ndarray
    features: tuple
    labels: tuple
    fingerprint: Fingerprint
    path: str | None = None  # the CSV's, for messages; None for a built-in set
    lines: np.ndarray | None = None  # the line where each example starts in it

    def columns(self, names: Sequence[str]) -> np.ndarray:
        """The named feature columns as rows: (len(names), examples); DataError for a missing name."""
        for name in names:
            if name not in self.features:
                raise DataError(f"{self.path}: no column named {name!r}; the columns are {', '.join(self.features)}")
        return np.ascontiguousarray(self.X[[self.features.index(name) for name in names]])

    def select(self, features: Sequence[str], labels: Sequence[str]) -> "Examples":
        """The named feature and label columns of a CSV as read, keeping its lines for messages (check_labels)."""
        X, Y = self.columns(features), self.columns(labels)
        return Examples(X, Y, tuple(features), tuple(labels), self.fingerprint, self.path, self.lines)

    def where(self, bad: np.ndarray, values: np.ndarray, names: Sequence[str]) -> tuple[str, float]:
        """('file, line L, column NAME' (the column alone for a built-in set), value) of the first true cell of
        ``bad``, a mask of ``values`` (X or Y, whose row names are ``names``)."""
        row, example = (int(i[0]) for i in np.nonzero(bad))
        value = values[row, example]
        if self.path is None or self.lines is None:
            return f"column {names[row]!r}, example {example + 1}", value
        return f"{self.path}, line {self.lines[example]}, column {names[row]!r}", value


def check_labels(examples: Examples, output: str) -> None:
    """Labels a sigmoid output can learn from: 0 or 1. DataError names the file, line, column and value."""
    bad = (examples.Y != 0) & (examples.Y != 1)
    if output == "sigmoid" and bad.any():
        where, value = examples.where(bad, examples.Y, examples.labels)
        others = int(bad.sum()) - 1
        more = f" ({others} more such cell{'s' if others != 1 else ''})" if others else ""
        raise DataError(f"{where}: label {value:g} is not 0 or 1, which the sigmoid output needs{more}")


def check_range(examples: Examples, dtype: str, standardize: bool) -> None:
    """Every value the run computes with fits ``dtype`` (standardized features: their squares fit float64, which
    the standard deviation sums); DataError names the first cell that does not."""
    limit = float(np.finfo(dtype).max)
    squared = np.sqrt(np.finfo(np.float64).max / (4 * examples.X.shape[1])) if standardize else limit
    for values, names, most in ((examples.X, examples.features, squared), (examples.Y, examples.labels, limit)):
        too_large = np.abs(values) > most
        if too_large.any():
            where, value = examples.where(too_large, values, names)
            reason = f"too large for {dtype} (largest {limit:.3g})"
            if most != limit:
                reason = "too large to standardize (its square overflows float64)"
            raise DataError(f"{where}: {value:g} is {reason}; rescale it")


def load_csv(path: PathLike, labels: Sequence[str] = ("label",)) -> Examples:
    """A CSV with a header row, one example per row -> Examples (rows become columns, the course's convention);
    ``labels`` names the label column(s), every other column is a feature."""
    table = read_table(path)
    table.columns(labels)  # a missing label column is named before "no feature columns"
    features = tuple(name for name in table.features if name not in labels)
    if not features:
        raise DataError(f"{path}: no feature columns besides the label column(s) {', '.join(labels)}")
    return table.select(features, labels)


def load(source: str, labels: Sequence[str] = ("label",), seed: int = EXTRA_SEED) -> Examples:
    """A built-in set by name (its fingerprint hashes the generated arrays), or a CSV path -> Examples."""
    if source in DATASETS:
        if tuple(labels) != ("label",):
            raise DataError(f"--label names columns of a CSV file; the built-in set {source!r} has one label, 'label'")
        X, Y = flower() if source == "flower" else extra(source, seed)
        digest = hashlib.sha256(np.ascontiguousarray(X).tobytes() + np.ascontiguousarray(Y).tobytes()).hexdigest()
        return Examples(X, Y, ("x1", "x2"), ("label",), Fingerprint(digest, X.shape[1], ("x1", "x2", "label")))
    if str(source).lower().endswith((".csv", ".csv.gz")) or Path(source).exists():
        return load_csv(source, labels)
    raise DataError(UNKNOWN.format(source))


def split(X: np.ndarray, Y: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, ...]:
    """Seeded random train/test split of the columns: (X_train, Y_train, X_test, Y_test)."""
    m = X.shape[1]
    n_test = round(m * test_fraction)
    if not 0 < test_fraction < 1:
        raise DataError(f"test fraction must be between 0 and 1, got {test_fraction}")
    if n_test == 0 or n_test == m:
        raise DataError(f"a test fraction of {test_fraction} leaves an empty part of {m} examples")
    order = np.random.default_rng(seed).permutation(m)
    test, train = order[:n_test], order[n_test:]
    return X[:, train], Y[:, train], X[:, test], Y[:, test]


def feature_stats(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and standard deviation over the examples, two (n_x, 1) float64 arrays; a constant feature
    gets std 1 (it carries no information; dividing by 0 would give NaN)."""
    X = np.asarray(X, np.float64)
    std = X.std(axis=1, keepdims=True)
    return X.mean(axis=1, keepdims=True), np.where(std > 0, std, 1.0)


def standardize(X: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """(X - mean) / std per feature row; X (n_x, m), mean and std (n_x, 1)."""
    return (np.asarray(X, np.float64) - mean) / std


@dataclass(frozen=True, eq=False)
class Prepared:
    """The data a run trains on: standardized X (n_x, m), Y (n_y, m) float64, the test part (or None), the training
    part before standardization (for plots), the statistics, names and fingerprint."""

    X: np.ndarray
    Y: np.ndarray
    X_test: np.ndarray | None
    Y_test: np.ndarray | None
    X_unscaled: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    features: tuple
    labels: tuple
    fingerprint: Fingerprint

    @property
    def examples(self) -> int:
        return self.X.shape[1]

    @property
    def test_examples(self) -> int:
        return 0 if self.X_test is None else self.X_test.shape[1]


def prepare(config: "RunConfig", stats: tuple[np.ndarray, np.ndarray] | None = None) -> Prepared:
    """Load, split and standardize as ``config`` says. The statistics come from the training part only (the test
    part must not leak into them), or are ``stats`` = (mean, std) (a resumed run's)."""
    examples = load(config.data, config.labels, seed=EXTRA_SEED)
    check_labels(examples, config.output)
    check_range(examples, config.dtype, config.standardize)
    X, Y, X_test, Y_test = examples.X, examples.Y, None, None
    if config.test_split > 0:
        X, Y, X_test, Y_test = split(X, Y, config.test_split, config.seed)
    if stats is None:
        stats = feature_stats(X) if config.standardize else (np.zeros((X.shape[0], 1)), np.ones((X.shape[0], 1)))
    mean, std = stats
    if mean.shape != (X.shape[0], 1):
        raise DataError(f"the data has {X.shape[0]} features but the saved model has {mean.shape[0]}")
    X_test = None if X_test is None else standardize(X_test, mean, std)
    Y_test = None if Y_test is None else Y_test.astype(np.float64)
    scaled = (standardize(X, mean, std), Y.astype(np.float64), X_test, Y_test, X)
    return Prepared(*scaled, mean, std, examples.features, examples.labels, examples.fingerprint)
