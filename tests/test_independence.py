"""Dependencies run one way: every module file of reference/ and checker/ is scanned for what it imports.

reference is the witness: it never imports manual (the path it checks), the
checker or shallownet. The checker imports reference and never manual or
shallownet. The checker's child side (what runs beside the learner's code)
imports the standard library, numpy and itself only: no JAX, no truth.
"""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECT = {"manual", "reference", "checker", "shallownet"}
FORBIDDEN = {"reference": {"manual", "checker", "shallownet"}, "checker": {"manual", "shallownet"}}
CHILD_SIDE = ("child.py", "load.py", "call.py", "wire.py", "__init__.py", "assignment_child.py", "guard.py")
MODULES = sorted(path.relative_to(ROOT).as_posix() for package in FORBIDDEN for path in (ROOT / package).glob("*.py"))


def imported(path):
    """Top-level names of every module a file imports (relative imports name their own package)."""
    package = path.parent.name
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(package if node.level else node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            names.add(package)  # checker/__init__'s lazy exports: importlib.import_module(f"{__name__}...")
    return names


def test_every_module_file_is_scanned():
    assert {
        "reference/model.py",
        "reference/finite_differences.py",
        "checker/run.py",
        "checker/cli.py",
        "checker/diagnose.py",
    } <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_modules_import_only_down_the_dependency_order(module):
    path = ROOT / module
    assert not imported(path) & FORBIDDEN[path.parent.name], imported(path)


@pytest.mark.parametrize("name", CHILD_SIDE)
def test_the_child_side_imports_the_standard_library_numpy_and_itself(name):
    names = imported(ROOT / "checker" / name)
    outside = {n for n in names if n not in sys.stdlib_module_names and n not in {"numpy", "checker"}}
    assert not outside, outside
    project = names & PROJECT
    assert project <= {"checker"}
    own = set()
    for node in ast.walk(ast.parse((ROOT / "checker" / name).read_text())):
        if isinstance(node, ast.ImportFrom) and node.level and node.module:
            own.add(node.module)  # from .wire import ...
        elif isinstance(node, ast.ImportFrom) and node.module == "checker":
            own |= {a.name for a in node.names}  # from checker import wire
    assert own <= {Path(module).stem for module in CHILD_SIDE}, own
