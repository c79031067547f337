"""Build the teaching notebooks from their sources, run them, save them with outputs.

Each notebook's cells live in ``notebooks/src/NN_name.py`` in jupytext's
"percent" format (``# %%`` starts a code cell, ``# %% [markdown]`` a markdown
cell whose lines start with ``# ``), read by jupytext; they are plain Python
(no IPython magics), so any editor or linter reads them. The sources are what
you review and edit; the ``.ipynb`` files are generated from them, executed
top to bottom in a fresh kernel (so every plot and printed number comes from
this run), and committed with their outputs so GitHub shows the plots.

    python notebooks/build.py            # rebuild all six
    python notebooks/build.py 03 05      # rebuild the ones whose names start with 03, 05
"""

import json
import os
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"
FORMAT = "py:percent"
TIMEOUT_S = 300
KERNEL = "shallownet-python"


def source_paths():
    """notebooks/src/NN_*.py in order."""
    return sorted(SOURCES.glob("[0-9][0-9]_*.py"))


def notebook_from_source(path):
    """The notebook (nbformat v4, no outputs) that jupytext reads from a percent-format source."""
    nb = jupytext.read(path, fmt=FORMAT)
    # jupytext records its own settings in the metadata; the committed notebooks
    # carry only what a Jupyter front end needs.
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    return nb


def execute(nb, timeout=TIMEOUT_S, cwd=HERE, python=None):
    """Run every cell in a fresh kernel started in ``cwd``; raises CellExecutionError on the first failure.

    The kernel runs *this* interpreter (sys.executable), or ``python`` (e.g. a
    fresh venv holding only the built wheel), from a kernelspec written to a
    temporary folder: whatever "python3" kernel a machine has installed
    (another Python, another venv) plays no part. Plots are drawn inline (into
    the notebook) whatever MPLBACKEND the caller has set. The notebooks import
    nothing from beside them (their helpers are shallownet.lessons), so any
    ``cwd`` does.
    """
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory() as kernels:
        spec = write_kernel_spec(Path(kernels) / KERNEL)
        if python is not None:  # the kernelspec's argv names the interpreter; point it at the one asked for
            kernel_json = Path(spec) / "kernel.json"
            spec_data = json.loads(kernel_json.read_text())
            spec_data["argv"][0] = str(python)
            kernel_json.write_text(json.dumps(spec_data))
        km = AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[kernels]))
        client = NotebookClient(
            nb, km=km, timeout=timeout, record_timing=False, resources={"metadata": {"path": str(cwd)}}
        )
        env = {**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
        client.execute(cleanup_kc=True, env=env)
    return nb


def build(path):
    """Generate, execute and save notebooks/<name>.ipynb from notebooks/src/<name>.py."""
    path = Path(path)
    nb = execute(notebook_from_source(path))
    # Cell ids are random by default; derive them from the position so a rebuild
    # changes only what really changed.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    out = HERE / (path.stem + ".ipynb")
    nbformat.write(nb, out)
    return out


def main(argv=None):
    prefixes = (sys.argv[1:] if argv is None else argv) or [""]
    paths = [path for path in source_paths() if any(path.name.startswith(prefix) for prefix in prefixes)]
    if not paths:
        sys.exit(f"no notebook source in {SOURCES} starts with {', '.join(prefixes)}")
    for path in paths:
        print("built", build(path).relative_to(HERE.parent), flush=True)


if __name__ == "__main__":
    main()
