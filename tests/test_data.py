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
    with pytest.raises(DataError, match=r"unknown data set 'spiral'.*flower.*noisy_moons"):
        data.load("spiral")


def write(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_rows_become_columns(tmp_path):
    path = write(tmp_path, "a,label,b\n1,0,10\n2,1,20\n3,1,30\n")
    loaded = data.load_csv(path)
    X, Y = loaded.X, loaded.Y
    assert loaded.features == ("a", "b") and loaded.labels == ("label",)
    np.testing.assert_array_equal(X, [[1, 2, 3], [10, 20, 30]])
    np.testing.assert_array_equal(Y, [[0, 1, 1]])
    assert X.dtype == Y.dtype == np.float64


def test_csv_with_several_label_columns_gives_n_y_rows(tmp_path):
    path = write(tmp_path, "x,y1,y2\n0.5,0,1\n1.5,1,0\n")
    loaded = data.load_csv(path, labels=["y1", "y2"])
    assert loaded.X.shape == (1, 2) and loaded.Y.shape == (2, 2) and loaded.features == ("x",)
    np.testing.assert_array_equal(loaded.Y, [[0, 1], [1, 0]])


@pytest.mark.parametrize(
    "text, labels, message",
    [
        ("a,b\n1,0\n", ["label"], r"no column named 'label'; the columns are a, b"),
        ("a,label\n1,0\n2,x\n", ["label"], r"line 3, column 'label': 'x' is not a number"),
        ("a,label\n1,0\n,1\n", ["label"], r"line 3, column 'a': empty cell"),
        ("a,label\nnan,0\n", ["label"], r"line 2, column 'a': NaN"),
        ("a,label\ninf,0\n", ["label"], r"line 2, column 'a': infinite value"),
        ("a,label\n1,0,5\n", ["label"], r"line 2: 3 cells but the header has 2 columns"),
        ("", ["label"], r"is empty; expected a header row"),
        ("a,label\n", ["label"], r"no data rows after the header"),
        ("label\n1\n", ["label"], r"no feature columns besides the label column"),
        # What spreadsheets and hand edits bring, each named instead of read as something else:
        ("x1,x1,x2,label\n1,2,3,0\n", ["label"], r"duplicate column names 'x1' \(columns 1 and 2\)"),
        ("x1,label,x2,label\n1,0,3,1\n", ["label"], r"duplicate column names 'label' \(columns 2 and 4\)"),
        ("a,,label\n1,2,0\n", ["label"], r"column 2 of the header has no name"),
        ("a,label\n1_000,0\n", ["label"], r"line 2, column 'a': '1_000' is not a number \(no '_' digit separators\)"),
        ("a,label\n1 000,0\n", ["label"], r"'1 000' is not a number \(no spaces inside a number\)"),
        ('a,label\n"1,5",0\n', ["label"], r"'1,5' is not a number \(a decimal comma"),
        ("a,label\nNA,0\n", ["label"], r"line 2, column 'a': 'NA' is a missing value"),
        ("a,label\ninfinity,0\n", ["label"], r"infinite value"),
        ("a,label\n1e999,0\n", ["label"], r"infinite value \(too large for float64\)"),
        ("a,label\n0x1A,0\n", ["label"], r"'0x1A' is not a number"),
        ("a;b;label\n1;2;0\n", ["label"], r"the header is one column 'a;b;label'.*separated by ';'"),
    ],
)
def test_bad_csv_is_rejected_naming_the_problem(tmp_path, text, labels, message):
    with pytest.raises(DataError, match=message):
        data.load_csv(write(tmp_path, text), labels)


def test_missing_csv_is_rejected(tmp_path):
    with pytest.raises(DataError, match=r"CSV file not found: .*nope\.csv"):
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


@pytest.mark.parametrize("first", ["label", "x1"])
def test_excels_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path, first):
    columns = [first] + [name for name in ("x1", "label") if name != first]
    path = tmp_path / "excel.csv"
    path.write_bytes(("\ufeff" + ",".join(columns) + "\r\n1,0\r\n2,1\r\n").encode("utf-8"))
    loaded = data.load_csv(path)
    assert loaded.features == ("x1",) and loaded.labels == ("label",)
    assert loaded.fingerprint.columns == tuple(columns)


def test_spaces_around_cells_and_names_are_allowed(tmp_path):
    loaded = data.load_csv(write(tmp_path, "x1 , label\n 1.5 , 0\n-2e1,1\n"))
    np.testing.assert_array_equal(loaded.X, [[1.5, -20.0]])


@pytest.mark.parametrize(
    "raw, message",
    [
        ("x,label\n1,0\n".encode("utf-16"), "UTF-16 text"),
        ("caf\u00e9,label\n1,0\n".encode("latin-1"), r"line 1: byte 0xe9 is not UTF-8"),
    ],
)
def test_a_file_not_in_utf8_is_refused_saying_how_to_save_it(tmp_path, raw, message):
    path = tmp_path / "d.csv"
    path.write_bytes(raw)
    with pytest.raises(DataError, match=message):
        data.load_csv(path)


def test_the_fingerprint_sees_any_change_of_the_file(tmp_path):
    path = write(tmp_path, "a,label\n1,0\n2,1\n")
    before = data.load_csv(path).fingerprint
    assert before.rows == 2 and before.columns == ("a", "label") and len(before.sha256) == 64
    assert before.differences(data.load_csv(path).fingerprint) == []
    path.write_text("a,label\n1,0\n2.0,1\n")  # the same numbers, other bytes
    assert any("sha256" in difference for difference in before.differences(data.load_csv(path).fingerprint))
    path.write_text("a,b,label\n1,0,0\n")
    changed = before.differences(data.load_csv(path).fingerprint)
    assert any("1 x 3 now" in difference for difference in changed)
    assert any("columns a, label then" in difference for difference in changed)


def test_built_in_sets_have_a_fingerprint_of_their_arrays_and_only_the_label_column():
    a, b = data.load("flower"), data.load("flower")
    assert a.fingerprint.sha256 == b.fingerprint.sha256 and a.fingerprint.rows == 400
    assert data.load("noisy_moons").fingerprint.sha256 != a.fingerprint.sha256
    with pytest.raises(DataError, match="--label names columns of a CSV file"):
        data.load("flower", labels=["y"])


# --- Messages that point at the cause: the file, the line where the problem starts, the column, the value --------


def _rows(count, start=0):
    return "".join(f"{(start + i) * 0.1:.1f},{(start + i) % 2}\n" for i in range(count))


CAUSES = {
    "a label 2": ("x1,x2,label\n1,2,0\n3,4,2\n", r"d\.csv, line 3, column 'label': label 2 is not 0 or 1"),
    "labels -1 (two of them)": (
        "x1,label\n1,-1\n3,1\n4,-1\n",
        r"d\.csv, line 2, column 'label': label -1 is not 0 or 1, which the sigmoid output needs \(1 more such cell\)$",
    ),
    "a quote left open on line 102": (
        "x1,label\n" + _rows(100) + '"5,1\n' + _rows(100),
        r"d\.csv, line 102: a quoted cell opened on this line runs to line 202 \(a closing '\"' missing\?\)$",
    ),
    "a comment line": (
        "x1,x2,label\n1,2,0\n# a note, by me, today\n3,4,1\n",
        r"d\.csv, line 3: a comment line \('#'\); a CSV has no comments: delete the line$",
    ),
    "a comment above the header": (
        "# exported from my notebook\nx1,x2,label\n1,2,0\n",
        r"d\.csv, line 1: a comment line \('#'\); the first line must be the header",
    ),
    "a row of empty cells": (
        "x1,x2,label\n1,2,0\n,,\n3,4,1\n",
        r"d\.csv, line 3: every cell is empty \(a row emptied in a spreadsheet\?\); delete the row$",
    ),
    "a row of blanks": ("x1,label\n1,0\n  \n3,1\n", r"d\.csv, line 3: every cell is empty"),
    "a value too large for float32": (
        "x1,label\n1,0\n1e39,1\n",
        r"d\.csv, line 3, column 'x1': 1e\+39 is too large for float32 \(largest 3\.4e\+38\); rescale it$",
    ),
}


def _config(path, **settings):
    from shallownet.config import RunConfig

    return RunConfig(data=str(path), **settings)


@pytest.mark.parametrize("case", list(CAUSES))
def test_each_data_problem_names_the_file_line_and_column_where_it_starts(tmp_path, case):
    text, message = CAUSES[case]
    with pytest.raises(DataError, match=message) as raised:
        data.prepare(_config(write(tmp_path, text)))
    assert "\n" not in str(raised.value)


def test_labels_need_not_be_0_or_1_for_the_identity_output(tmp_path):
    prepared = data.prepare(_config(write(tmp_path, "x1,label\n1,2.5\n3,-1\n"), output="identity"))
    np.testing.assert_array_equal(prepared.Y, [[2.5, -1.0]])


def test_values_beyond_float32_are_fine_in_float64_and_named_when_they_overflow_the_standardization(tmp_path):
    path = write(tmp_path, "x1,label\n1,0\n1e39,1\n")
    assert data.prepare(_config(path, dtype="float64")).X.max() == 1e39
    huge = write(tmp_path, "x1,label\n1,0\n-1e300,1\n", "huge.csv")
    with pytest.raises(DataError, match=r"huge\.csv, line 3, column 'x1': -1e\+300 is too large to standardize"):
        data.prepare(_config(huge, standardize=True))


def test_blank_lines_hold_no_cells_and_are_passed_over(tmp_path):
    loaded = data.load_csv(write(tmp_path, "x1,label\n1,0\n\n3,1\n\n"))
    np.testing.assert_array_equal(loaded.X, [[1.0, 3.0]])
    np.testing.assert_array_equal(loaded.lines, [2, 4])


def test_a_gzip_csv_is_read_transparently_with_the_fingerprint_of_its_content(tmp_path):
    import gzip

    text = "x1,label\n" + _rows(50)
    plain = write(tmp_path, text)
    packed = tmp_path / "d.csv.gz"
    packed.write_bytes(gzip.compress(text.encode(), mtime=0))
    unpacked, loaded = data.load_csv(plain), data.load(str(packed))
    np.testing.assert_array_equal(loaded.X, unpacked.X)
    assert loaded.fingerprint.differences(unpacked.fingerprint) == []
    named_otherwise = tmp_path / "d2.csv"
    named_otherwise.write_bytes(packed.read_bytes())  # gzip by its bytes, whatever its name
    np.testing.assert_array_equal(data.load_csv(named_otherwise).X, unpacked.X)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x1f\x8b\x08\x00broken", r"d\.csv is gzip-compressed but cannot be decompressed"),
        (b"PK\x03\x04" + bytes(40), r"d\.csv is a zip archive \(an Excel \.xlsx workbook\?\), not CSV text"),
        (
            "x1,label\n1,0\n2,1\n".encode("utf-16-le"),
            r"d\.csv is UTF-16 text without a byte-order mark; save it as \"CSV UTF-8\"",
        ),
        ("x1,label\n1,0\n".encode("utf-16-be"), "UTF-16 text without a byte-order mark"),
        (b"x1,label\n1,0\n2\x00,1\n", r"d\.csv, line 3: a NUL byte \(0x00\); this is not a text file"),
    ],
    ids=["damaged gzip", "xlsx", "UTF-16 without BOM", "UTF-16 BE without BOM", "a NUL byte"],
)
def test_files_that_are_not_csv_text_are_named_for_what_they_are(tmp_path, raw, message):
    path = tmp_path / "d.csv"
    path.write_bytes(raw)
    with pytest.raises(DataError, match=message):
        data.load_csv(path)


def test_the_fingerprint_is_the_contents_not_the_spelling_of_the_path(tmp_path, monkeypatch):
    path = write(tmp_path, "x1,label\n1,0\n2,1\n")
    monkeypatch.chdir(tmp_path)
    spellings = ["d.csv", "./d.csv", str(path), str(tmp_path / ".." / tmp_path.name / "d.csv")]
    (tmp_path / "link.csv").symlink_to(path)
    prints = {data.fingerprint(spelling) for spelling in [*spellings, "link.csv"]}
    assert prints == {data.load_csv(path).fingerprint.sha256}
    assert data.fingerprint("flower") == data.load("flower").fingerprint.sha256
    write(tmp_path, "x1,label\n1,0\n2,0\n", "other.csv")
    assert data.fingerprint("other.csv") not in prints


class _Terminal:
    """stderr as a terminal: tqdm writes its bar here."""

    def __init__(self):
        self.text = []

    def isatty(self):
        return True

    def write(self, text):
        self.text.append(text)

    def flush(self):
        pass


def test_a_large_csv_shows_progress_on_a_terminal_and_nothing_elsewhere(tmp_path, monkeypatch):
    path = write(tmp_path, "x1,label\n" + _rows(70_000))
    monkeypatch.setattr(data, "PROGRESS_BYTES", 1000)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert data.read_table(path).X.shape == (2, 70_000)
    assert "reading d.csv" in "".join(terminal.text) and "70000/70000" in "".join(terminal.text)
    monkeypatch.setattr(terminal, "isatty", lambda: False)
    terminal.text.clear()
    data.read_table(path)
    assert terminal.text == []


def test_reading_a_csv_holds_the_file_and_its_values_not_a_list_of_strings(tmp_path):
    """Peak memory of load_csv within the file's bytes plus three copies of its values (traced allocations)."""
    import tracemalloc

    path = write(
        tmp_path, "x1,x2,x3,label\n" + "".join(f"{i * 0.001:.6f},{i % 7},-{i},{i % 2}\n" for i in range(50_000))
    )
    values_bytes = 50_000 * 4 * 8
    tracemalloc.start()
    try:
        loaded = data.load_csv(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert loaded.X.shape == (3, 50_000)
    assert peak < path.stat().st_size + 3 * values_bytes, (peak, path.stat().st_size, values_bytes)


def test_a_tables_examples_name_the_line_of_a_bad_label_for_predict_too(tmp_path):
    table = data.read_table(write(tmp_path, "x1,label,x2\n1,0,5\n\n3,1,6\n4,0.5,7\n"))
    examples = table.select(["x2", "x1"], ["label"])
    np.testing.assert_array_equal(examples.X, [[5, 6, 7], [1, 3, 4]])
    with pytest.raises(DataError, match=r"d\.csv, line 5, column 'label': label 0\.5 is not 0 or 1"):
        data.check_labels(examples, "sigmoid")
    data.check_labels(examples, "identity")
