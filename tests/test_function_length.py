"""No function of the project's packages or benchmarks is over 60 lines (the guide's rule, issue 19's budget):
tools/long_functions.py finds them."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("long_functions", ROOT / "tools" / "long_functions.py")
assert _spec is not None and _spec.loader is not None
long_functions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(long_functions)


@pytest.mark.parametrize("package", long_functions.PACKAGES)
def test_no_function_is_over_60_lines(package):
    assert (ROOT / package).is_dir()
    assert long_functions.long_functions([ROOT / package]) == []


def test_the_count_sees_a_long_method_and_passes_a_short_one(tmp_path):
    body = "\n".join(f"        x{i} = {i}" for i in range(60))
    (tmp_path / "long.py").write_text(f"class Run:\n    def save(self):\n{body}\n\n    def load(self):\n        pass\n")
    assert long_functions.long_functions([tmp_path]) == [(f"{tmp_path / 'long.py'}:2 Run.save", 61)]
