"""Read a learner's file as Python cells: a .py as it is, a .ipynb's code cells, IPython lines neutralized.

The learner's text is never run here; this module only turns it into cells
that parse, keeping every line where it was (a neutralized line becomes
``pass`` at the same indentation), so tracebacks and notes name the learner's
own lines. What cannot be read as Python is reported in ``Source.notes`` and
skipped, never fatal:

- notebooks: code cells only; ``%%bash``-like cell magics are skipped, the
  Python-bodied ones (``%%time``, ``%%capture`` ...) keep their body;
- ``%magic``, ``!shell``, ``x = !ls``, ``name?`` help lines become ``pass``
  (only in a cell that does not parse as it is, so strings are left alone);
  ``get_ipython()`` statements of nbconvert exports are dropped later, by
  ``checker.load``, on the syntax tree;
- Python 2 ``print x`` statements are read as ``print(x)`` calls;
- a cell that still does not parse is skipped with its SyntaxError. A .py
  that does not parse is cut into top-level blocks (at ``def``, ``class``,
  imports, decorators and ``# In[ ]:`` / ``# %%`` markers), and only the
  blocks that do not parse are skipped.
"""

import ast
import glob
import hashlib
import json
import os
import re
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUFFIXES = (".py", ".ipynb")
SKIPPED_DIRS = {".ipynb_checkpoints", "__pycache__", ".git"}
# Cell magics whose body is Python: the body still defines functions.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "python", "python3", "debug", "memit"}

_LINE_MAGIC = re.compile(r"^(\s*)(?:[%!?]|[\w.]+\s*\?{1,2}\s*$|[\w.,\s\[\]()]+=\s*[%!])")
_PRINT_STATEMENT = re.compile(r"^(\s*)print(?:\s+(?![\s(=.,)])(.*?)|\s*)$")
_BLOCK_START = re.compile(r"^(?:def |async def |class |@|import |from \S+ import |# In\[.*\]:|# %%)")


class FileProblem(Exception):
    """The file cannot be read as a .py or a notebook (the message says why, in one line)."""


@dataclass(frozen=True)
class Cell:
    """A piece of the learner's file that parses on its own."""

    where: str  # "cell 5 (In [12])" in a notebook, "" for a .py as a whole, "lines 30-45" for a block
    filename: str  # the name tracebacks show: "/path/hw.py" or "hw.ipynb, cell 5"
    source: str  # Python that parses; line n of the file (or cell) is line n here


@dataclass(frozen=True)
class Source:
    """A file read as cells, with what was skipped and why; ``skipped`` keeps the raw text of skipped cells."""

    path: Path
    cells: tuple
    notes: tuple
    skipped: tuple  # ((where, raw text, reason), ...)
    text: str = ""  # the file as read (a notebook's JSON): what the child gets a copy of, what is hashed

    @property
    def folder(self):
        return str(self.path.resolve().parent)

    @property
    def sha256(self):
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def read_source(path):
    """The file at ``path`` as a Source; FileProblem when it is neither readable text nor a notebook."""
    path = Path(path)
    if path.suffix == ".ipynb":
        return _read_notebook(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise FileProblem(f"cannot read {path}: {e}") from None
    return _read_script(path, text)


def _read_script(path, text):
    source, notes = prepared(text, "")
    if source is not None:
        return Source(path, (Cell("", str(path), source),), tuple(notes), (), text)
    cells, notes, skipped = [], [], []
    for first, block in _blocks(text):
        last = first + max(len(block.splitlines()), 1) - 1
        where = f"lines {first}-{last}" if last > first else f"line {first}"
        source, block_notes = prepared(block, where, first_line=first)
        notes += block_notes
        if source is None:
            skipped.append((where, block, block_notes[-1]))
            continue
        # Blank lines in front keep the file's line numbers in tracebacks.
        cells.append(Cell(where, str(path), "\n" * (first - 1) + source))
    return Source(path, tuple(cells), tuple(notes), tuple(skipped), text)


def _blocks(text):
    """(first line number, text) of the top-level blocks of a file that does not parse as a whole."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if i == 0 or _BLOCK_START.match(line)]
    # A decorator belongs to the def below it: do not start another block right after one.
    starts = [
        start
        for k, start in enumerate(starts)
        if k == 0 or not lines[starts[k - 1]].startswith("@") or start - starts[k - 1] > 1
    ]
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        yield start + 1, "".join(lines[start:end])


def _read_notebook(path):
    try:
        text = path.read_text(encoding="utf-8-sig")
        cells = _code_cells(text)
    except Exception as e:  # JSON, shape, version (nbformat's many kinds for older formats), OS errors
        raise FileProblem(
            f"cannot read {path} as a notebook: {type(e).__name__}: {str(e).splitlines()[0][:200]}"
        ) from None
    kept, notes, skipped = [], [], []
    for number, cell in cells:
        count = cell.get("execution_count")
        where = f"cell {number}" + (f" (In [{count}])" if count else "")
        source, cell_notes = prepared(cell["source"], where)
        notes += cell_notes
        if source is None:
            skipped.append((where, cell["source"], cell_notes[-1]))
        elif source.strip():
            kept.append(Cell(where, f"{path.name}, {where}", source))
    return Source(path, tuple(kept), tuple(_merged(notes)), tuple(skipped), text)


def _code_cells(text):
    """[(cell number, {"source": str, "execution_count": ...}), ...] of a notebook's code cells.

    Format 4 (every notebook Jupyter has written since 2015) is read here with json alone: importing
    nbformat costs about 1.6 s (its schema validator pulls in jsonschema's format checkers), paid by
    every ``check`` of a notebook for nothing but the code cells' sources. Older formats go through
    nbformat, which converts them.
    """
    notebook = json.loads(text)
    if not isinstance(notebook, dict):
        raise ValueError(f"a notebook is a JSON object, not {type(notebook).__name__}")
    if notebook.get("nbformat") != 4:
        import nbformat

        notebook = nbformat.reads(text, as_version=4)
    cells = notebook.get("cells")
    if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
        raise ValueError("'cells' is not a list of cells")
    code = []
    for number, cell in enumerate(cells, 1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)  # nbformat 4 keeps a multi-line source as a list of lines
        if not isinstance(source, str):
            raise ValueError(f"cell {number}: 'source' is neither text nor a list of lines")
        code.append((number, {"source": source, "execution_count": cell.get("execution_count")}))
    return code


def _merged(notes):
    """'cell 1 (In [1]): X' and 'cell 3: X' -> 'cells 1, 3: X': the same note on several cells, once."""
    by_text: dict[str, list[tuple[str, str]]] = {}
    for note in notes:
        where, _, text = note.partition(": ")
        by_text.setdefault(text, []).append((where, note))
    merged = []
    for text, found in by_text.items():
        if len(found) == 1 or not all(where.startswith("cell ") for where, _ in found):
            merged += [note for _, note in found]
        else:
            merged.append(f"cells {', '.join(where.split()[1] for where, _ in found)}: {text}")
    return merged


def prepared(text, where, first_line=1):
    """(Python source that parses, notes), or (None, notes ending with why the text was skipped)."""
    notes = []
    text, magic = _cell_magic(text)
    if magic is not None and magic not in PYTHON_CELL_MAGICS:
        return None, [f"{where or 'the file'}: %%{magic} cell, not Python (skipped)"]
    for attempt in (_as_is, _dedented, _without_ipython_lines, _with_print_calls):
        text, note = attempt(text)
        try:
            ast.parse(text)
        except SyntaxError as e:
            error = e
            continue
        except (ValueError, MemoryError, RecursionError) as e:  # null bytes, absurd nesting
            error = SyntaxError(str(e))
            continue
        if note:
            notes.append(f"{where or 'the file'}: {note}")
        return text, notes
    line = (error.lineno or 1) + first_line - 1
    shown = (error.text or "").strip()
    place = f"{where} line {line}" if where.startswith("cell") else f"line {line}"
    notes.append(
        f"{place}: SyntaxError: {error.msg}"
        + (f": {shown[:80]}" if shown else "")
        + _newer_syntax(shown)
        + f" ({where or 'the file'} skipped)"
    )
    return None, notes


def _cell_magic(text):
    """(text, None), or (body with the %%magic line blanked, magic name) for a cell magic."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if line.lstrip().startswith("%%"):
            name = line.strip()[2:].split(maxsplit=1)
            lines[i] = ""
            return "\n".join(lines), (name[0] if name else "")
        return text, None
    return text, None


def _as_is(text):
    return text, ""


def _dedented(text):
    """A cell indented as a whole (two spaces, pasted from a function): IPython runs it dedented."""
    dedented = textwrap.dedent(text)
    return dedented, "indented cell read dedented, as IPython runs it" if dedented != text else ""


# Syntax newer than the checker's Python: (pattern on the line, version, what it is).
NEWER_SYNTAX = (
    (re.compile(r"""\bf(['"])(?:(?!\1).)*\{[^{}]*\1"""), (3, 12), "the f-string's own quotes inside its braces"),
    (re.compile(r"^\s*type\s+\w+\s*(?:\[[^\]]*\])?\s*="), (3, 12), "a type statement"),
    (re.compile(r"^\s*(?:def|class)\s+\w+\s*\["), (3, 12), "type parameters"),
)


def _newer_syntax(line):
    """' (... is Python 3.12 syntax; the checker runs Python 3.11)' when the line uses newer syntax, else ''."""
    for pattern, version, what in NEWER_SYNTAX:
        if sys.version_info[:2] < version and pattern.search(line or ""):
            here = f"{sys.version_info.major}.{sys.version_info.minor}"
            return (
                f" ({what} is Python {version[0]}.{version[1]} syntax; the checker runs Python {here}: "
                f"write it for Python {here}, or run the checker on Python {version[0]}.{version[1]})"
            )
    return ""


def _without_ipython_lines(text):
    lines = text.split("\n")
    depth, continued = 0, False
    for i, line in enumerate(lines):
        # Only a whole line is a magic: not one that continues a statement ("..." then "% x" in brackets).
        found = None if depth > 0 or continued else _LINE_MAGIC.match(line)
        if found:
            lines[i] = f"{found.group(1)}pass"
            continue
        depth = max(0, depth + _bracket_change(line))
        continued = line.rstrip().endswith("\\")
    return "\n".join(lines), ""


TRIPLE_QUOTES = ("'''", '"""')


def _bracket_change(line):
    """Opening minus closing brackets on a line, outside its strings and its comment."""
    change, quote, i = 0, "", 0
    while i < len(line):
        char = line[i]
        if quote:
            if char == "\\":
                i += 1
            elif line.startswith(quote, i):
                i += len(quote) - 1
                quote = ""
        elif char == "#":
            break
        elif char in "'\"":
            quote = line[i : i + 3] if line[i : i + 3] in TRIPLE_QUOTES else char
            i += len(quote) - 1
        elif char in "([{":
            change += 1
        elif char in ")]}":
            change -= 1
        i += 1
    return change


def _with_print_calls(text):
    text, _ = _without_ipython_lines(text)
    lines = text.split("\n")
    changed = 0
    for i, line in enumerate(lines):
        found = _PRINT_STATEMENT.match(line)
        if found and not line.rstrip().endswith(":"):
            body = (found.group(2) or "").rstrip()
            end = ', end=" "' if body.endswith(",") else ""
            lines[i] = f"{found.group(1)}print({body.rstrip(',')}{end})"
            changed += 1
    return "\n".join(lines), "Python 2 print statements read as print() calls" if changed else ""


# --- many files -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One file to check and the function named on the command line (None: find it)."""

    path: Path
    function: str | None = None

    def __str__(self):
        return str(self.path) + (f":{self.function}" if self.function else "")


def split_target(text):
    """'hw.py:backprop' -> ('hw.py', 'backprop'); a trailing ':NAME' only when NAME is an identifier."""
    path, sep, name = text.rpartition(":")
    if sep and name.isidentifier() and path:
        return path, name
    return text, None


def expand(texts):
    """(targets, batch, errors): the files the arguments name; batch when a folder, a glob or several files.

    A folder means every .py and .ipynb below it (checkpoints and hidden
    folders left out), sorted; a glob is expanded here too (quoted, or on a
    shell that does not). ``errors`` lists the arguments that name nothing.
    """
    targets, errors, batch = [], [], len(texts) > 1
    for text in texts:
        path_text, name = split_target(text)
        path = Path(path_text)
        if path.is_dir():
            batch = True
            found = sorted(
                file
                for file in path.rglob("*")
                if file.suffix in SUFFIXES
                and file.is_file()
                and not any(part in SKIPPED_DIRS or part.startswith(".") for part in file.relative_to(path).parts)
            )
            targets += [Target(file, name) for file in found]
            if not found:
                errors.append(f"no .py or .ipynb files in {path}")
        elif path.is_file():
            targets.append(Target(path, name))
        elif glob.has_magic(path_text):
            batch = True
            found = sorted(
                Path(match)
                for match in glob.glob(path_text, recursive=True)
                if Path(match).suffix in SUFFIXES and Path(match).is_file()
            )
            targets += [Target(file, name) for file in found]
            if not found:
                errors.append(f"no .py or .ipynb files match {path_text}")
        else:
            errors.append(f"no such file: {path_text}")
    unique = list(dict.fromkeys(targets))
    return unique, batch or len(unique) > 1, errors


def load_function(path: str | os.PathLike[str], name: str | None = None) -> tuple[Callable[..., Any], list[str]]:
    """(function, notes): the function the checker would check in ``path``, loaded into this process.

    The file's definitions run here, with this process's rights: for files
    you trust (tests, your own). ``checker.check_file`` runs them in a child
    process instead. Raises checker.load.NotFound when there is no function
    to check, FileProblem when the file cannot be read.
    """
    from . import load

    source = read_source(path)
    namespace = {"__name__": load.NAMESPACE, "__file__": str(path)}
    sys.path.insert(0, source.folder)  # the file's own helper modules, as in its notebook
    try:
        notes, skipped = load.run_definitions(source.cells, namespace)
    finally:
        sys.path.remove(source.folder)
    found = load.find_function(namespace, name, {cell.filename for cell in source.cells}, skipped)
    return found.fn, list(source.notes) + notes + found.notes


HELPER_BYTES = 1024 * 1024
MAX_HELPERS = 20


def imported_names(source):
    """The top-level module names the file's cells import (``import a.b`` -> a; relative imports left out)."""
    names = []
    for cell in source.cells:
        try:
            tree = ast.parse(cell.source)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.append(node.module.split(".")[0])
    return list(dict.fromkeys(names))


def helper_modules(source, exclude=frozenset()):
    """((name.py, text), ...): the learner's own modules beside the file that it imports, read now.

    ``exclude`` holds resolved paths that must not travel (the file itself, classmates' submissions):
    a submission never sees another one, even when it imports it by name.
    """
    folder = source.path.resolve().parent
    found = []
    for name in imported_names(source):
        path = folder / f"{name}.py"
        try:
            if path.resolve() in exclude or not path.is_file() or path.stat().st_size > HELPER_BYTES:
                continue
            found.append((path.name, path.read_text(encoding="utf-8-sig")))
        except (OSError, UnicodeDecodeError):
            continue
        if len(found) >= MAX_HELPERS:
            break
    return tuple(found)


_BLOCK_OPEN = re.compile(r"#+\s*(?:START CODE HERE|YOUR CODE STARTS HERE)", re.IGNORECASE)
_BLOCK_CLOSE = re.compile(r"#+\s*(?:END CODE HERE|YOUR CODE ENDS HERE)", re.IGNORECASE)


def empty_blocks(source):
    """Where the course's template blocks (### START CODE HERE ### ... ### END CODE HERE ###) hold nothing
    but blank lines and comments: 'cell 4 lines 5-8' in a notebook, 'lines 5-8' in a .py."""
    found = []
    for cell in source.cells:
        opened = None
        for number, line in enumerate(cell.source.split("\n"), 1):
            if _BLOCK_OPEN.search(line):
                opened, filled = number, False
            elif opened is not None and _BLOCK_CLOSE.search(line):
                if not filled:
                    where = f"lines {opened}-{number}"
                    found.append(f"{cell.where} {where}" if cell.where.startswith("cell") else where)
                opened = None
            elif opened is not None and line.strip() and not line.strip().startswith("#"):
                filled = True
    return found
