"""checker: is a learner's hand-derived backprop right, and if not, what is wrong and where.

The learner's function is called on four problems (checker.problems) and its
dW1 db1 dW2 db2 are compared with jax.grad of the reference cost and with
finite differences; a wrong gradient is explained by the known slips or
located in the backward pass (checker.diagnose). Files (.py, .ipynb) are
read by checker.files and run in a child process (checker.run, checker.child)
with time and memory limits; many files at once by checker.batch; the
command line is checker.cli (``shallownet check``); checker.numbers is the
project's one number grammar (these flags, shallownet's flags and CSV cells).

It imports ``reference`` (the truth) and never ``manual`` or ``shallownet``.
The names below are imported on first use: the child process imports
checker.child, which must load neither JAX nor the truth.

    from checker import check_backprop, check_file
"""

import importlib
from typing import Any

_EXPORTS = {
    "check_backprop": "check",
    "check_grads": "check",
    "check_file": "check",
    "FileResult": "check",
    "Settings": "check",
    "Report": "report",
    "Limits": "run",
    "check_files": "batch",
    "DEFAULT_CASES": "problems",
    "load_function": "files",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
