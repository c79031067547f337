"""Plant each classic backprop slip in a copy of the source, run the proof tests, count who catches it.

    python tools/planted_mistakes.py            # writes docs/planted_mistakes.md
    python tools/planted_mistakes.py --check    # exits 1 if a slip's line is gone from the source

Each slip is one exact text replacement in one file of ``manual/``. The script
copies the tree to a temporary folder, runs the unchanged copy first (every
test must pass there, or the table would count a broken suite), then each slip
in a fresh copy, and counts the failing tests per test file from pytest's
JUnit XML. A slip whose line is not found exactly once stops the script: the
table is only ever made from the code as it is.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "planted_mistakes.md"
# The README's proof list, in the order the table names them.
TEST_FILES = (
    "test_activations.py",
    "test_gradients.py",
    "test_cost.py",
    "test_per_example.py",
    "test_symmetry.py",
    "test_why_one_over_m.py",
    "test_bad_input.py",
    "test_course_api.py",
    "test_dtypes.py",
)
COPIED = ("manual", "reference", "shallownet", "tests", "pyproject.toml")
BACKWARD = "manual/backward.py"


@dataclass(frozen=True)
class Slip:
    """One mistake a learner makes, planted by replacing ``original`` with ``planted`` in ``path``."""

    mistake: str
    original: str
    planted: str
    path: str = BACKWARD


def without_one_over_m(key):
    return Slip(
        f"{key} without its 1/m",
        "{k: v / m for k, v in sums.items()}",
        f'{{k: v if k == "{key}" else v / m for k, v in sums.items()}}',
    )


SLIPS = (
    without_one_over_m("dW2"),
    without_one_over_m("db2"),
    without_one_over_m("dW1"),
    without_one_over_m("db1"),
    Slip("a 1/m in dZ2 as well (1/m twice)", 'dZ2 = cache["A2"] - Y ', 'dZ2 = (cache["A2"] - Y) / X.shape[1] '),
    Slip("dZ1 without the transpose of W2", 'dZ1 = (params["W2"].T @ dZ2)', 'dZ1 = (params["W2"] @ dZ2)'),
    Slip("dW2 transposed (A1 dZ2ᵀ)", 'dW2 = matmul_nt(dZ2, cache["A1"])', 'dW2 = matmul_nt(cache["A1"], dZ2)'),
    Slip("dW1 transposed (X dZ1ᵀ)", "dW1 = matmul_nt(dZ1, X)", "dW1 = matmul_nt(X, dZ1)"),
    Slip("db2 without keepdims", "db2 = jnp.sum(dZ2, axis=1, keepdims=True)", "db2 = jnp.sum(dZ2, axis=1)"),
    Slip("db1 without keepdims", "db1 = jnp.sum(dZ1, axis=1, keepdims=True)", "db1 = jnp.sum(dZ1, axis=1)"),
    Slip(
        "matrix product for the element-wise * in dZ1",
        '(params["W2"].T @ dZ2) * g_prime',
        '(params["W2"].T @ dZ2) @ g_prime',
    ),
    Slip(
        "g' from Z1 where A1 belongs (tanh' = 1 - Z1²)",
        'dZ2) * g_prime(cache["Z1"], cache["A1"])',
        'dZ2) * g_prime(cache["Z1"], cache["Z1"])',
    ),
    Slip("per example: dW1 = x dz1ᵀ", '"dW1": dz1 @ x.T', '"dW1": x @ dz1.T'),
    Slip(
        "per example: sum without the final 1/m",
        "_like_params({k: v / m for k, v in total.items()}, params)",
        "_like_params(total, params)",
    ),
    Slip("per example: dz1 without the transpose of W2", 'dz1 = (params["W2"].T @ dz2)', 'dz1 = (params["W2"] @ dz2)'),
)


def planted_source(slip, root=ROOT):
    """The file's text with the slip planted; ValueError unless its line occurs exactly once."""
    text = (Path(root) / slip.path).read_text()
    count = text.count(slip.original)
    if count != 1:
        raise ValueError(f"{slip.mistake}: {slip.original!r} occurs {count} times in {slip.path}, expected once")
    return text.replace(slip.original, slip.planted)


def copy_tree(destination):
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, destination / name)


def failing_tests_by_file(tree, test_files=TEST_FILES, jax_cache=None):
    """Run the proof tests in ``tree``; (number of tests, Counter of failing tests per file).

    ``jax_cache``: a persistent compilation cache shared by the runs. Code a slip
    does not touch lowers to the same program and is not compiled again; code
    it touches lowers to a different one and misses the cache.
    """
    report = tree / "report.xml"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    if jax_cache is not None:
        env.update(
            JAX_COMPILATION_CACHE_DIR=str(jax_cache),
            JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
            JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0",
        )
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "--tb=no",
        "-o",
        "addopts=",
        f"--junitxml={report}",
        *(f"tests/{name}" for name in test_files),
    ]
    run = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    if not report.exists():
        raise RuntimeError(f"pytest wrote no report (exit {run.returncode}):\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    cases = ET.parse(report).getroot().iter("testcase")
    total, failing = 0, Counter()
    for case in cases:
        total += 1
        if case.find("failure") is not None or case.find("error") is not None:
            module = next(part for part in case.get("classname").split(".") if part.startswith("test_"))
            failing[module + ".py"] += 1
    return total, failing


def run_in_copy(slip=None, test_files=TEST_FILES, jax_cache=None):
    """Run the proof tests in a temporary copy of the tree, with ``slip`` planted if given."""
    with tempfile.TemporaryDirectory(prefix="planted-") as folder:
        tree = Path(folder)
        copy_tree(tree)
        if slip is not None:
            (tree / slip.path).write_text(planted_source(slip))
        return failing_tests_by_file(tree, test_files, jax_cache)


def short(name):
    return name.removeprefix("test_").removesuffix(".py")


def table(rows, total):
    lines = [
        f"| mistake | planted as (in `manual/backward.py`) | failing tests (of {total}), by file |",
        "| --- | --- | --- |",
    ]
    for slip, failing in rows:
        by_file = ", ".join(f"{short(name)} {failing[name]}" for name in TEST_FILES if failing[name])
        count = sum(failing.values())
        caught = f"{count}: {by_file}" if count else "**0: not caught**"
        lines.append(f"| {slip.mistake} | `{slip.planted.strip()}` | {caught} |")
    return "\n".join(lines)


def page(rows, total):
    files = " ".join(f"tests/{name}" for name in TEST_FILES)
    return f"""# Planted mistakes: which tests catch each classic backprop slip

Generated by `python tools/planted_mistakes.py`; do not edit by hand. Each row
plants one slip in a temporary copy of `manual/` (one exact text replacement),
runs the proof tests

    {files}

and counts the failing tests per file. The unchanged copy passes all {total}.
A slip's line that is no longer in the source stops the script (and
`tests/test_planted_mistakes.py` fails), so the table cannot silently describe
old code. The 1/m slips are planted in `backward_unchecked`'s division of the
summed formulas (`backward_sums_unchecked`), which the sharded training path
shares.

{table(rows, total)}

`gradients` holds the manual-vs-`jax.grad` comparisons (float64/float32, with and
without jit) for every formula; the per-example formulas are caught by
`per_example`. Mutation testing (docs/mutation.md) goes further: every small
change to `manual/` and the reference cost, not only these classic ones.
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check every slip's line is in the source once")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"markdown page to write (default {OUTPUT})")
    args = parser.parse_args(argv)
    for slip in SLIPS:
        planted_source(slip)
    if args.check:
        print(f"all {len(SLIPS)} slips found once")
        return 0
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="planted-jax-cache-") as jax_cache:
        total, failing = run_in_copy(jax_cache=jax_cache)
        if failing:
            print(f"the unchanged source already fails tests: {dict(failing)}", file=sys.stderr)
            return 1
        rows = []
        for slip in SLIPS:
            rows.append((slip, run_in_copy(slip, jax_cache=jax_cache)[1]))
            print(f"{slip.mistake}: {sum(rows[-1][1].values())} failing", flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(page(rows, total))
    print(f"wrote {args.output} ({time.monotonic() - start:.0f} s)")
    uncaught = [slip.mistake for slip, failing in rows if not failing]
    if uncaught:
        print(f"not caught by any test: {', '.join(uncaught)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
