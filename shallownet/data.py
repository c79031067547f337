"""Data sets in the course's convention: X (n_x, m), Y (n_y, m), examples are columns.

- ``flower()``: the course's planar data set, generated exactly as the course does.
- ``extra(name)``: the course's extra sets (noisy circles, noisy moons, blobs,
  gaussian quantiles), from scikit-learn's generators (optional extra ``sklearn``).
- ``load_csv(path, labels)``: a user's CSV, one example per row, read strictly
  (UTF-8 with or without a BOM, unique column names, plain decimal numbers).
- ``load(source)`` returns ``Examples`` (X, Y, names, fingerprint);
  ``prepare(config)`` splits and standardizes them into ``Prepared``, what
  training uses (the statistics travel with the model).

Bad input raises ``DataError`` (a ValueError) with one line naming the problem.
"""

import csv
import gzip
import hashlib
import io
import os
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np

from .numbers import NUMBER, number_problem

if TYPE_CHECKING:
    from .config import RunConfig

PathLike = str | os.PathLike[str]

EXTRA_DATASETS = ("noisy_circles", "noisy_moons", "blobs", "gaussian_quantiles")
DATASETS = ("flower",) + EXTRA_DATASETS
# The course's load_extra_datasets passes no seed for circles, moons and
# quantiles (they follow the notebook's global RNG state); we fix one so a run
# can be repeated. Blobs keep the course's random_state=5.
EXTRA_SEED = 1


class DataError(ValueError):
    """The data cannot be used: missing file or column, non-numeric cell, NaN, bad split."""


def flower(seed: int = 1, m: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """The course's planar "flower": X (2, 400) float64, Y (1, 400) uint8 (200 zeros then 200 ones).

    Generated exactly as the course's ``load_planar_dataset`` does (legacy np.random.seed(1), petals
    r = 4 sin(4t) + noise), so its published numbers can be reproduced; the global RNG state is restored.
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


def extra(name: str, seed: int = EXTRA_SEED) -> tuple[np.ndarray, np.ndarray]:
    """One of the course's extra sets, N = 200: X (2, 200) float64, Y (1, 200) uint8: the generator calls of
    the course's ``load_extra_datasets`` (blobs: six centers, labels mod 2 as the notebook does)."""
    if name not in EXTRA_DATASETS:
        raise DataError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)} or a .csv file")
    try:
        from sklearn import datasets
    except ModuleNotFoundError:
        raise DataError(f"data set {name!r} needs scikit-learn: pip install 'shallownet[sklearn]'") from None
    N = 200
    if name == "noisy_circles":
        X, y = datasets.make_circles(n_samples=N, factor=0.5, noise=0.3, random_state=seed)
    elif name == "noisy_moons":
        X, y = datasets.make_moons(n_samples=N, noise=0.2, random_state=seed)
    elif name == "blobs":
        X, y = datasets.make_blobs(n_samples=N, random_state=5, n_features=2, centers=6)
        y = y % 2
    else:
        X, y = datasets.make_gaussian_quantiles(
            mean=None, cov=0.5, n_samples=N, n_features=2, n_classes=2, shuffle=True, random_state=seed
        )
    return np.asarray(X, np.float64).T, np.asarray(y, np.uint8).reshape(1, -1)


# A CSV is read strictly: what a spreadsheet or a hand-edited file may hold by accident (a BOM, a repeated
# column name, "1_000", "NA") stops the run with the file, line and column named, instead of being misread.
# The first bytes of files a CSV is often confused with:
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
# Progress is shown for files this large, when stderr is a terminal.
PROGRESS_BYTES = 16 * 2**20


def content(path: PathLike) -> bytes:
    """The CSV's bytes: the file's own, or decompressed when it is gzip (read transparently, whatever its name).

    DataError for a missing or unreadable file, a damaged gzip stream, or a zip archive (an Excel workbook).
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"CSV file not found: {path}")
    if not path.is_file():
        raise DataError(f"{path} is not a file")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path} cannot be read ({e.strerror})") from None
    if raw.startswith(ZIP_MAGIC):
        raise DataError(f'{path} is a zip archive (an Excel .xlsx workbook?), not CSV text; save it as "CSV UTF-8"')
    if raw.startswith(GZIP_MAGIC):
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(f"{path} is gzip-compressed but cannot be decompressed ({e})") from None
    return raw


def fingerprint(source: PathLike) -> str:
    """sha256 (hex) of a data set's content: a CSV's bytes (decompressed if gzip), or a built-in set's arrays.
    The resume check compares this, not the path as typed (relative, absolute, a link, a gzip copy)."""
    if str(source) in DATASETS:
        return load(str(source)).fingerprint.sha256
    return hashlib.sha256(content(source)).hexdigest()


def _decode(raw: bytes, path: PathLike) -> str:
    """The file's text: UTF-8, with Excel's byte-order mark removed; DataError for another encoding."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f'{path} is UTF-16 text (Excel\'s "Unicode text"); save it as "CSV UTF-8"')
    sample = raw[:256]
    if len(sample) >= 4 and (not any(sample[1::2]) or not any(sample[0::2])):
        # Every other byte 0: ASCII text in UTF-16 that lost its byte-order mark (UTF-8 text holds no NUL).
        raise DataError(f'{path} is UTF-16 text without a byte-order mark; save it as "CSV UTF-8"')
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError(
            f'{path}, line {line}: byte 0x{raw[e.start]:02x} is not UTF-8; save the file as "CSV UTF-8"'
        ) from None
    zero = text.find("\x00")
    if zero >= 0:
        raise DataError(f"{path}, line {text.count(chr(10), 0, zero) + 1}: a NUL byte (0x00); this is not a text file")
    return text


def _check_row(row: list[str], line: int, end: int, header: tuple[str, ...], path: PathLike) -> None:
    """A data row spanning lines line..end: a comment, an emptied row, a runaway quote, a wrong cell count.

    Called only for a row that does not parse, so the rows that do cost nothing more.
    """
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


def _parse_row(values: np.ndarray, row: list[str], line: int, header: tuple[str, ...], path: PathLike) -> None:
    """One row of strings into ``values`` (float64); DataError names the first bad cell (see numbers.NUMBER)."""
    fullmatch = NUMBER.fullmatch
    for column, cell in enumerate(row):
        cell = cell.strip()
        if fullmatch(cell):
            values[column] = float(cell)
            if np.isfinite(values[column]):
                continue
        raise DataError(f"{path}, line {line}, column {header[column]!r}: {number_problem(cell)}")


def _progress(total_rows: int, size: int, path: PathLike, show: bool | None) -> Any:
    """A tqdm bar over the rows when asked, or (show None) for a large file with stderr on a terminal."""
    from tqdm import tqdm

    if show is None:
        show = size >= PROGRESS_BYTES and sys.stderr.isatty()
    return tqdm(total=total_rows, desc=f"reading {Path(path).name}", unit=" rows", disable=not show, mininterval=0.5)


def _parse_rows(
    reader: Any, header: tuple[str, ...], path: PathLike, most: int, bar: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The data rows as values (rows, columns) float64 and the line where each row starts, filled in place
    into arrays sized by the line count (a list of rows of strings took ~10x the values' memory at 1M rows)."""
    values = np.empty((most, len(header)))
    lines = np.empty(most, np.int64)
    count, last = 0, reader.line_num
    try:
        for row in reader:
            line, last = last + 1, reader.line_num
            if not row:
                continue  # a blank line holds no cells to be empty
            if len(row) != len(header):
                _check_row(row, line, last, header, path)
            try:
                _parse_row(values[count], row, line, header, path)
            except DataError:
                _check_row(row, line, last, header, path)  # a cause of the bad cell (a comment...), if any
                raise
            lines[count] = line
            count += 1
            if count % 65536 == 0:
                bar.update(65536)
    except csv.Error as e:
        raise DataError(f"{path}, line {last + 1}: cannot be read as CSV ({e})") from None
    bar.update(count % 65536)
    bar.total = count  # the line count was an upper bound (blank lines, the header)
    return values[:count], lines[:count]


def _check_header(header: tuple[str, ...], path: PathLike) -> None:
    if "" in header:
        raise DataError(f"{path}: column {header.index('') + 1} of the header has no name")
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(header, 1):
        positions.setdefault(name, []).append(i)
    repeated = {k: v for k, v in positions.items() if len(v) > 1}
    if repeated:
        listed = "; ".join(f"{k!r} (columns {', '.join(map(str, v[:-1]))} and {v[-1]})" for k, v in repeated.items())
        raise DataError(f"{path}: duplicate column names {listed}; every column needs its own name")
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        raise DataError(
            f"{path}: the header is one column {header[0]!r}; shallownet reads comma-separated "
            "values (is this file separated by ';' or tabs?)"
        )


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
        if (
            not isinstance(saved, dict) or set(saved) != set(types)
            or not all(isinstance(saved[key], kind) for key, kind in types.items())
            or not all(isinstance(column, str) for column in saved["columns"])
        ):  # fmt: skip
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


@dataclass(frozen=True, eq=False)
class Table:
    """A CSV as read: column names, values (rows, columns) float64, and its fingerprint."""

    header: tuple
    values: np.ndarray
    fingerprint: Fingerprint
    path: str
    lines: np.ndarray | None = None  # the line where each row starts, for messages

    def columns(self, names: Sequence[str]) -> np.ndarray:
        """The named columns as rows: (len(names), examples); DataError for a missing name."""
        for name in names:
            if name not in self.header:
                raise DataError(f"{self.path}: no column named {name!r}; the columns are {', '.join(self.header)}")
        return np.ascontiguousarray(self.values[:, [self.header.index(name) for name in names]].T)

    def has(self, names: Sequence[str]) -> bool:
        return all(name in self.header for name in names)

    def examples(self, features: Sequence[str], labels: Sequence[str]) -> "Examples":
        """The named feature and label columns as Examples, which keep the lines for messages (check_labels)."""
        return Examples(
            self.columns(features), self.columns(labels), tuple(features), tuple(labels), self.fingerprint, self.path,
            self.lines,
        )  # fmt: skip


def read_table(path: PathLike, progress: bool | None = None) -> Table:
    """A numeric CSV (or its gzip) with a header row -> Table; DataError names the file, line and column of a
    problem. ``progress``: show a bar (None: for a large file when stderr is a terminal)."""
    raw = content(path)
    sha256 = hashlib.sha256(raw).hexdigest()
    _decode(raw, path)  # names an encoding problem by its line; the text itself is not kept
    size, most = len(raw), raw.count(b"\n") + 1
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
    with _progress(most, size, path, progress) as bar:
        values, lines = _parse_rows(reader, header, path, most, bar)
    if not len(values):
        raise DataError(f"{path}: no data rows after the header")
    return Table(header, values, Fingerprint(sha256, len(values), header), str(path), lines)


@dataclass(frozen=True, eq=False)
class Examples:
    """A data set as loaded: X (n_x, m) float64, Y (n_y, m), column names, fingerprint."""

    X: np.ndarray
    Y: np.ndarray
    features: tuple
    labels: tuple
    fingerprint: Fingerprint
    path: str | None = None  # the CSV's, for messages; None for a built-in set
    lines: np.ndarray | None = None  # the line where each example starts in it

    def where(self, example: int, name: str) -> str:
        """'file, line L, column NAME' of one example's cell (the column alone for a built-in set)."""
        if self.path is None or self.lines is None:
            return f"column {name!r}, example {example + 1}"
        return f"{self.path}, line {self.lines[example]}, column {name!r}"


def check_labels(examples: Examples, output: str) -> None:
    """Labels a sigmoid output can learn from: 0 or 1. DataError names the file, line, column and value."""
    if output != "sigmoid":
        return
    bad = (examples.Y != 0) & (examples.Y != 1)
    if bad.any():
        row, example = (int(i[0]) for i in np.nonzero(bad))
        others = int(bad.sum()) - 1
        more = f" ({others} more such cell{'s' if others != 1 else ''})" if others else ""
        raise DataError(
            f"{examples.where(example, examples.labels[row])}: label {examples.Y[row, example]:g} is not 0 or 1, "
            f"which the sigmoid output needs{more}"
        )


def check_range(examples: Examples, dtype: str, standardize: bool) -> None:
    """Every value the run computes with fits ``dtype`` (standardized features: their squares fit float64,
    which the standard deviation sums); DataError names the first cell that does not."""
    limit = float(np.finfo(dtype).max)
    squared = np.sqrt(np.finfo(np.float64).max / (4 * examples.X.shape[1])) if standardize else limit
    for values, names, most in ((examples.X, examples.features, squared), (examples.Y, examples.labels, limit)):
        too_large = np.abs(values) > most
        if too_large.any():
            row, example = (int(i[0]) for i in np.nonzero(too_large))
            reason = (
                f"too large for {dtype} (largest {limit:.3g})"
                if most == limit
                else "too large to standardize (its square overflows float64)"
            )
            raise DataError(f"{examples.where(example, names[row])}: {values[row, example]:g} is {reason}; rescale it")


def load_csv(path: PathLike, labels: Sequence[str] = ("label",)) -> Examples:
    """A CSV with a header row, one example per row -> Examples (rows become columns, the course's convention);
    ``labels`` names the label column(s), every other column is a feature."""
    table = read_table(path)
    table.columns(labels)  # a missing label column is named before "no feature columns"
    features = tuple(name for name in table.header if name not in labels)
    if not features:
        raise DataError(f"{path}: no feature columns besides the label column(s) {', '.join(labels)}")
    return table.examples(features, labels)


def _generated(X: np.ndarray, Y: np.ndarray) -> Examples:
    """Examples of a built-in set; its fingerprint hashes the generated arrays (a new generator shows)."""
    digest = hashlib.sha256(np.ascontiguousarray(X).tobytes() + np.ascontiguousarray(Y).tobytes()).hexdigest()
    features, labels = ("x1", "x2"), ("label",)
    return Examples(X, Y, features, labels, Fingerprint(digest, X.shape[1], features + labels))


def load(source: str, labels: Sequence[str] = ("label",), seed: int = EXTRA_SEED) -> Examples:
    """A built-in set by name, or a CSV path -> Examples."""
    if source in DATASETS and tuple(labels) != ("label",):
        raise DataError(f"--label names columns of a CSV file; the built-in set {source!r} has one label, 'label'")
    if source == "flower":
        return _generated(*flower())
    if source in EXTRA_DATASETS:
        return _generated(*extra(source, seed))
    if str(source).lower().endswith((".csv", ".csv.gz")) or Path(source).exists():
        return load_csv(source, labels)
    raise DataError(f"unknown data set {source!r}; choose one of {', '.join(DATASETS)} or a .csv file")


def split(
    X: np.ndarray, Y: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Seeded random train/test split of the columns: (X_train, Y_train, X_test, Y_test)."""
    if not 0 < test_fraction < 1:
        raise DataError(f"test fraction must be between 0 and 1, got {test_fraction}")
    m = X.shape[1]
    n_test = round(m * test_fraction)
    if n_test == 0 or n_test == m:
        raise DataError(f"a test fraction of {test_fraction} leaves an empty part of {m} examples")
    order = np.random.default_rng(seed).permutation(m)
    test, train = order[:n_test], order[n_test:]
    return X[:, train], Y[:, train], X[:, test], Y[:, test]


def feature_stats(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and standard deviation over the examples: two (n_x, 1) float64 arrays.

    A constant feature gets std 1 (it carries no information; dividing by 0 would give NaN).
    """
    X = np.asarray(X, np.float64)
    std = X.std(axis=1, keepdims=True)
    return X.mean(axis=1, keepdims=True), np.where(std > 0, std, 1.0)


def standardize(X: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """(X - mean) / std per feature row; X (n_x, m), mean and std (n_x, 1)."""
    return (np.asarray(X, np.float64) - mean) / std


@dataclass(frozen=True, eq=False)
class Prepared:
    """The data a run trains on: standardized X (n_x, m), Y (n_y, m) float64, the test part (or None),
    the training part before standardization (for plots), the statistics, names and fingerprint."""

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
    """Load, split and standardize as ``config`` (a RunConfig) says -> Prepared. The statistics come from the
    training part only (the test part must not leak into them), or ``stats`` = (mean, std) (a resumed run's)."""
    examples = load(config.data, config.labels, seed=EXTRA_SEED)
    check_labels(examples, config.output)
    check_range(examples, config.dtype, config.standardize)
    X, Y = examples.X, examples.Y
    X_test = Y_test = None
    if config.test_split > 0:
        X, Y, X_test, Y_test = split(X, Y, config.test_split, config.seed)
    if stats is None:
        stats = feature_stats(X) if config.standardize else (np.zeros((X.shape[0], 1)), np.ones((X.shape[0], 1)))
    mean, std = stats
    if mean.shape != (X.shape[0], 1):
        raise DataError(f"the data has {X.shape[0]} features but the saved model has {mean.shape[0]}")
    X_test = None if X_test is None else standardize(X_test, mean, std)
    Y_test = None if Y_test is None else Y_test.astype(np.float64)
    return Prepared(
        standardize(X, mean, std), Y.astype(np.float64), X_test, Y_test, X, mean, std, examples.features,
        examples.labels, examples.fingerprint,
    )  # fmt: skip
