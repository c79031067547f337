"""What the teaching notebooks import: their plotting style (``figures``) and their exercises' checkers (``exercises``).

It ships in the package (not as loose files beside the notebooks) so that a notebook opened anywhere, Colab or
JupyterHub included, runs after one ``pip install 'shallownet[notebooks]'``. Importing it checks that the
``notebooks`` extra is there too, and names the install line when it is not.
"""

import importlib.util

INSTALL = "pip install 'shallownet[notebooks]'"
# The extra's modules the lessons import while they run (05's exercise draws scikit-learn's data sets).
EXTRA_MODULES = {"sklearn": "scikit-learn", "matplotlib": "matplotlib"}


def require_extra(modules: dict[str, str] = EXTRA_MODULES) -> None:
    """Raise ModuleNotFoundError, one line naming the install, when a module of the ``notebooks`` extra is missing."""
    missing = {module: dist for module, dist in modules.items() if importlib.util.find_spec(module) is None}
    if missing:
        raise ModuleNotFoundError(
            f"the lessons need {', '.join(missing.values())}: run  %{INSTALL}  in a cell, then this cell again",
            name=next(iter(missing)),
        )


require_extra()
