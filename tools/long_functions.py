"""List the functions longer than a limit (default 60 lines, decorators and docstring included).

    python tools/long_functions.py [--limit 60] [paths ...]    (default: the PACKAGES below)

Exit status 1 when any is found; tests/test_function_length.py runs the same check on each of PACKAGES.
"""

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

LIMIT = 60
PACKAGES = ("manual", "reference", "checker", "shallownet", "benchmarks")  # from the repository root


def function_lengths(path: Path) -> Iterator[tuple[str, int, int]]:
    """(qualified name, first line, length in lines) of every function and method in one file."""
    tree = ast.parse(path.read_text(), filename=str(path))

    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, int, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([child.lineno] + [d.lineno for d in child.decorator_list])
                yield f"{prefix}{child.name}", first, (child.end_lineno or child.lineno) - first + 1
                yield from walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")

    yield from walk(tree, "")


def long_functions(paths: list[Path], limit: int = LIMIT) -> list[tuple[str, int]]:
    """('file:line name', length) of every function over ``limit`` lines in the .py files under ``paths``."""
    found = []
    for root in paths:
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            for name, line, length in function_lengths(path):
                if length > limit:
                    found.append((f"{path}:{line} {name}", length))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path(name) for name in PACKAGES])
    parser.add_argument("--limit", type=int, default=LIMIT)
    args = parser.parse_args()
    found = long_functions(args.paths, args.limit)
    for where, length in found:
        print(f"{length:4d}  {where}")
    print(f"{len(found)} function(s) over {args.limit} lines")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
