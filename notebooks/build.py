"""Build the teaching notebooks from their sources, run them, save them with outputs.

Each notebook's cells live in ``notebooks/src/NN_name.py`` in the "percent"
format (``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell whose
lines start with ``# ``), the format jupytext reads too; they are plain Python
(no IPython magics), so any editor or linter reads them. The sources are what
you review and edit; the ``.ipynb`` files are generated from them, executed
top to bottom in a fresh kernel (so every plot and printed number comes from
this run), and committed with their outputs so GitHub shows the plots.

    python notebooks/build.py            # rebuild all six
    python notebooks/build.py 03 05      # rebuild the ones whose names start with 03, 05
"""
import os
import sys
import tempfile
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"
CELL_MARK = "# %%"
MARKDOWN_MARK = "# %% [markdown]"
TIMEOUT_S = 300
KERNEL = "shallownet-python"


def source_paths():
    """notebooks/src/NN_*.py in order."""
    return sorted(SOURCES.glob("[0-9][0-9]_*.py"))


def _markdown_text(lines):
    """Strip the comment prefix: '# text' -> 'text', '#' -> ''."""
    return "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in lines)


def cells_from_source(text):
    """Split percent-format text into nbformat cells (text before the first marker is dropped)."""
    cells, kind, lines = [], None, []

    def flush():
        body = _markdown_text(lines) if kind == "markdown" else "\n".join(lines)
        body = body.strip("\n")
        if kind is not None and body:
            make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
            cells.append(make(body))

    for line in text.splitlines():
        if line.startswith(CELL_MARK):
            flush()
            kind, lines = ("markdown" if line.startswith(MARKDOWN_MARK) else "code"), []
        else:
            lines.append(line)
    flush()
    return cells


def notebook_from_source(path):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells_from_source(Path(path).read_text(encoding="utf-8"))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def execute(nb, timeout=TIMEOUT_S):
    """Run every cell in a fresh kernel started in notebooks/; raises CellExecutionError on the first failure.

    The kernel runs *this* interpreter (sys.executable), from a kernelspec
    written to a temporary folder: whatever "python3" kernel a machine has
    installed (another Python, another venv) plays no part. Plots are drawn
    inline (into the notebook) whatever MPLBACKEND the caller has set.
    """
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory() as kernels:
        write_kernel_spec(Path(kernels) / KERNEL)
        km = AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=KernelSpecManager(kernel_dirs=[kernels]))
        client = NotebookClient(nb, km=km, timeout=timeout, record_timing=False,
                                resources={"metadata": {"path": str(HERE)}})
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
    paths = [p for p in source_paths() if any(p.name.startswith(x) for x in prefixes)]
    if not paths:
        sys.exit(f"no notebook source in {SOURCES} starts with {', '.join(prefixes)}")
    for p in paths:
        print("built", build(p).relative_to(HERE.parent), flush=True)


if __name__ == "__main__":
    main()
