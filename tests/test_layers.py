"""shallownet's modules import one way, down the order of LAYERS, and say where an import waits inside a function.

A module imports only modules listed before it in LAYERS, at its top or inside a function: nothing upward, inside a
layer only left to right, so no cycle. An import inside a function hides an arrow from a reader of the file's top,
so one is allowed only for the reason LAZY gives: a module that loads without JAX stays that way (JAX takes about a
second to import), and ``shallownet --help`` loads neither numpy nor JAX (``tests/test_cli.py``). docs/training.md
shows the same map.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "shallownet"
LAYERS = (
    # shapes and signals: the standard library and numpy (the number grammar is checker.numbers, which config and
    # data import at their top: the standard library only)
    ("signals", "history", "stack", "memory"),
    # settings, data and files
    ("config", "data", "atomic", "phases", "checkpoint", "outputs", "plots"),
    # the networks: the step, predictions and scores, the host loop, the library's train
    ("parallel", "step", "evaluate", "fit", "train", "logistic"),
    # runs and commands
    ("sweep", "predict", "run", "cli", "check_cmd"),
)
ORDER = [name for layer in LAYERS for name in layer]
# The modules that import JAX when they load; every other module loads without it.
LOADS_JAX = {"parallel", "step", "train", "sweep", "run"}
# What a function may import, and why: the import costs more than its caller's other paths need.
LAZY = {
    "jax": "JAX, in a module that loads without it",
    "manual": "imports JAX",
    "reference": "imports JAX",
    **{name: "imports JAX" for name in LOADS_JAX},
    "matplotlib": "about 0.3 s, only when a figure is drawn",
    "sklearn": "an optional extra, only for the course's extra data sets",
    "checker": "the autograder command's own package",
}
# cli imports each command's modules inside the command: --help and a usage error load none of them.
LAZY_ANYTHING = {"cli"}


def short(name):
    """shallownet.run.x -> run (a module of the package by its short name); numpy.linalg -> numpy."""
    parts = name.split(".")
    return parts[1] if parts[0] == "shallownet" and len(parts) > 1 else parts[0]


def imports(module):
    """[(imported name, line, inside a function)]: project modules by their short name, others by their top name.
    Imports under ``if TYPE_CHECKING:`` are for annotations and never run."""
    found = []

    def visit(node, inside):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                found.extend((short(alias.name), child.lineno, inside) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                # from . import run / from shallownet import run: the names; from .run import x: the module
                own = child.level or child.module == "shallownet"
                module = "shallownet." + (child.module or "") if child.level else child.module
                if own and module.rstrip(".") == "shallownet":
                    found.extend((alias.name, child.lineno, inside) for alias in child.names)
                else:
                    found.append((short(module), child.lineno, inside))
            visit(child, inside or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))

    visit(ast.parse((PACKAGE / f"{module}.py").read_text()), False)
    return found


def test_every_module_has_its_place_in_the_order():
    assert sorted(ORDER) == sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__")


@pytest.mark.parametrize("module", ORDER)
def test_modules_import_only_modules_below_them(module):
    upward = [
        (name, line) for name, line, _ in imports(module) if name in ORDER and ORDER.index(name) >= ORDER.index(module)
    ]
    assert not upward, f"{module} imports {upward}: only modules before it in LAYERS"


@pytest.mark.parametrize("module", ORDER)
def test_imports_inside_functions_have_a_reason(module):
    inside = [(name, line) for name, line, lazy in imports(module) if lazy]
    if module in LAZY_ANYTHING:
        return
    unexplained = [(name, line) for name, line in inside if name not in LAZY]
    assert not unexplained, f"{module}: {unexplained} import inside a function without a reason: import at the top"
    if module in LOADS_JAX:  # JAX is loaded already: waiting buys nothing
        needless = [(name, line) for name, line in inside if LAZY[name] in {LAZY["jax"], "imports JAX"}]
        assert not needless, f"{module} loads JAX anyway: import {needless} at the top"


def test_the_other_modules_load_without_jax():
    others = [name for name in ORDER if name not in LOADS_JAX]
    code = (
        "import importlib, sys\n"
        f"for name in {others!r}:\n"
        "    importlib.import_module('shallownet.' + name)\n"
        "    if 'jax' in sys.modules:\n"
        "        sys.exit(name + ' loads JAX')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("module", sorted(LOADS_JAX))
def test_the_modules_said_to_load_jax_do(module):
    """Read from the imports at a module's top: JAX itself, or a module said to load it (the others are proven to
    load without it in a process above)."""
    top = {name for name, _, inside in imports(module) if not inside}
    assert top & ({"jax", "manual", "reference"} | LOADS_JAX), top


def test_the_scan_sees_every_way_of_naming_a_module(tmp_path, monkeypatch):
    source = (
        "from . import run\nfrom .sweep import x\nimport shallownet.cli\nfrom shallownet import predict\n"
        "from shallownet.fit import y\nimport numpy.linalg\n\ndef f():\n    from . import plots\n"
    )
    (tmp_path / "probe.py").write_text(source)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path)
    assert imports("probe") == [
        ("run", 1, False),
        ("sweep", 2, False),
        ("cli", 3, False),
        ("predict", 4, False),
        ("fit", 5, False),
        ("numpy", 6, False),
        ("plots", 9, True),
    ]
