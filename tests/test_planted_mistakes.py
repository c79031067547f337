"""tools/planted_mistakes.py regenerates the planted-mistake table from the code as it is.

The full table takes minutes (every slip runs the proof tests); here: every
slip still finds its line, the committed page names every slip, and one slip
planted in a copy is caught in the file that should catch it while the
unchanged copy passes.
"""

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("planted_mistakes", ROOT / "tools" / "planted_mistakes.py")
planted_mistakes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(planted_mistakes)
SLIPS = planted_mistakes.SLIPS


@pytest.mark.parametrize("slip", SLIPS, ids=[slip.mistake for slip in SLIPS])
def test_every_planted_slip_finds_its_line_once_and_still_compiles(slip):
    original = (ROOT / slip.path).read_text()
    planted = planted_mistakes.planted_source(slip)
    assert planted != original
    compile(planted, slip.path, "exec")


def test_a_slip_whose_line_is_gone_stops_the_script():
    gone = planted_mistakes.Slip("a slip of old code", "dW2 = dZ2 @ A1.T / m", "dW2 = A1 @ dZ2.T / m")
    with pytest.raises(ValueError, match=r"a slip of old code.*occurs 0 times"):
        planted_mistakes.planted_source(gone)


def test_the_committed_table_names_every_slip():
    page = (ROOT / "docs" / "planted_mistakes.md").read_text()
    for slip in SLIPS:
        assert f"| {slip.mistake} | `{slip.planted.strip()}` |" in page, slip.mistake


def test_the_table_counts_by_file_and_flags_an_uncaught_slip():
    caught = Counter({"test_gradients.py": 7, "test_symmetry.py": 2})
    rows = planted_mistakes.table([(SLIPS[0], caught), (SLIPS[1], Counter())], total=200).splitlines()
    assert rows[0].endswith("failing tests (of 200), by file |")
    assert rows[2].endswith("| 9: gradients 7, symmetry 2 |")
    assert rows[3].endswith("| **0: not caught** |")


@pytest.mark.slow
def test_the_unchanged_copy_passes_and_a_planted_slip_fails_where_it_should():
    only = ("test_symmetry.py",)
    total, failing = planted_mistakes.run_in_copy(None, only)
    assert total > 0 and not failing
    [no_transpose] = [slip for slip in SLIPS if slip.mistake == "dZ1 without the transpose of W2"]
    total_planted, failing = planted_mistakes.run_in_copy(no_transpose, only)
    assert total_planted == total
    assert set(failing) == {"test_symmetry.py"} and failing["test_symmetry.py"] > 0
