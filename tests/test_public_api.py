"""The public API carries type hints: every public function and method of it, each parameter and the return.

mypy (run by .ci/run, configured in pyproject.toml) checks the hints; this test
checks that they are there, since mypy only insists on them in manual and
reference. The API: all of manual and reference; the checker's functions a
learner or a teacher calls; shallownet's modules.
"""

import importlib
import inspect

import pytest

WHOLE_MODULES = [
    *(f"manual.{name}" for name in ("activations", "backward", "checks", "course", "forward", "init")),
    *(f"reference.{name}" for name in ("finite_differences", "model", "validate")),
    "reference",
    "checker.check",
    "checker.batch",
    "checker.cli",
    "checker.numbers",
    *(
        f"shallownet.{name}"
        for name in (
            "atomic", "checkpoint", "cli", "config", "data", "evaluate", "run", "fit", "history", "logistic",
            "memory", "parallel", "plots", "predict", "signals", "stack", "step", "sweep", "train",
        )
    ),
]  # fmt: skip
OBJECTS = ["checker.report.Report", "checker.run.Limits", "checker.files.load_function"]
SPECIAL = {"__init__", "__call__", "__str__", "__getattr__", "__enter__", "__exit__", "__post_init__"}


def _functions(owner, prefix):
    """(qualified name, function) of the public functions and methods defined in a module or a class."""
    for name, value in vars(owner).items():
        if name.startswith("_") and name not in SPECIAL:
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if isinstance(value, property):
            value = value.fget
        if inspect.isfunction(value) and value.__module__.startswith(prefix.split(".")[0]):
            if inspect.ismodule(owner) and value.__module__ != owner.__name__:
                continue  # imported here, checked where it is defined
            yield f"{prefix}.{name}", value
        elif inspect.isclass(value) and not name.startswith("_") and value.__module__ == getattr(owner, "__name__", ""):
            yield from _functions(value, f"{prefix}.{name}")


def _api():
    for module_name in WHOLE_MODULES:
        yield from _functions(importlib.import_module(module_name), module_name)
    for path in OBJECTS:
        module_name, _, name = path.rpartition(".")
        value = getattr(importlib.import_module(module_name), name)
        yield from _functions(value, path) if inspect.isclass(value) else [(path, value)]


def _missing(function):
    """The parameters (and 'return') of ``function`` that have no annotation."""
    signature = inspect.signature(function)
    missing = [
        name
        for name, parameter in signature.parameters.items()
        if parameter.annotation is inspect.Parameter.empty and name not in ("self", "cls")
    ]
    if signature.return_annotation is inspect.Signature.empty and function.__name__ != "__init__":
        missing.append("return")
    return missing


API = sorted(dict(_api()).items())


def test_the_api_is_found():
    names = {name for name, _ in API}
    assert {"manual.backward.grads", "reference.grads", "checker.check.check_backprop", "shallownet.train.train",
            "checker.report.Report.passed", "shallownet.config.RunConfig.of"} <= names  # fmt: skip
    assert {"shallownet.step.descend", "shallownet.train.train_many", "shallownet.sweep.run"} <= names
    assert len(API) > 150


@pytest.mark.parametrize("name, function", API, ids=[name for name, _ in API])
def test_every_public_function_of_the_api_is_annotated(name, function):
    assert _missing(function) == [], f"{name} lacks type hints for {_missing(function)}"
