"""Mutation testing of manual/ and the reference cost: run mutmut, print the score and every survivor.

    nice -n 10 python tools/mutation.py             # fresh run (deletes mutants/ first)
    nice -n 10 python tools/mutation.py --resume    # keep mutants/: only new or changed mutants run
    python tools/mutation.py --report               # print the last run's results, run nothing

What is mutated and which tests run is configured in pyproject.toml ([tool.mutmut]);
docs/mutation.md explains the choices. A surviving mutant must be listed in
docs/mutation.md's "Equivalent mutants" table (its id in the first column) or
the command exits 1; so does a listed mutant that no longer survives, since
the list would then be stale.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
DOC = ROOT / "docs" / "mutation.md"
DETECTED = ("killed", "timeout", "segfault")


def mutmut(*args, capture=False):
    """Run the mutmut next to this Python (``python -m mutmut`` re-executes its __main__)."""
    command = [str(Path(sys.executable).with_name("mutmut")), *args]
    # The tree's own manual/ must not shadow the mutated copy under mutants/.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(command, cwd=ROOT, env=env, check=True, text=True, capture_output=capture).stdout


def results():
    """{mutant id: status} of every mutant from the last run."""
    lines = mutmut("results", "--all", "true", capture=True).splitlines()
    return dict(line.strip().rsplit(": ", 1) for line in lines if ": " in line)


def documented_equivalents(doc=DOC):
    """Mutant ids in the first column of the "Equivalent mutants" table of docs/mutation.md."""
    text = doc.read_text() if doc.exists() else ""
    section = text.split("## Equivalent mutants", 1)[-1].split("\n## ", 1)[0] if "## Equivalent mutants" in text else ""
    return set(re.findall(r"^\| `([\w.]+__mutmut_\d+)` \|", section, re.M))


def score(statuses, equivalents=frozenset()):
    """(detected, counted): mutants the tests detect over all mutants less the documented equivalents."""
    detected = sum(status in DETECTED for status in statuses.values())
    counted = sum(name not in equivalents for name in statuses)
    return detected, counted


def report(statuses, equivalents):
    counts = Counter(statuses.values())
    detected, counted = score(statuses, equivalents)
    raw_detected, total = score(statuses)
    print(f"mutants: {total}  " + "  ".join(f"{status} {n}" for status, n in counts.most_common()))
    print(
        f"mutation score: {raw_detected}/{total} = {100 * raw_detected / total:.1f}% of all mutants; "
        f"{detected}/{counted} = {100 * detected / counted:.1f}% without the {len(equivalents & set(statuses))} "
        "documented equivalent mutants"
    )
    undetected = sorted(name for name, status in statuses.items() if status not in DETECTED)
    unexplained = [name for name in undetected if name not in equivalents]
    stale = sorted(equivalents - set(undetected))
    for name in undetected:
        mark = "equivalent" if name in equivalents else "UNEXPLAINED"
        print(f"\n[{statuses[name]}, {mark}] {name}")
        if name not in equivalents:
            print(mutmut("show", name, capture=True).rstrip())
    if stale:
        print(f"\nlisted as equivalent but not surviving (remove from {DOC.name}): {', '.join(stale)}")
    if unexplained:
        print(f"\n{len(unexplained)} surviving mutants are neither killed nor documented as equivalent")
    return 1 if unexplained or stale else 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resume", action="store_true", help="keep mutants/ from the last run")
    parser.add_argument("--report", action="store_true", help="only print the last run's results")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("mutants", nargs="*", help="mutant ids or patterns to (re)test, e.g. 'manual.backward.*'")
    args = parser.parse_args(argv)
    if not args.report:
        if not args.resume and not args.mutants and MUTANTS.exists():
            shutil.rmtree(MUTANTS)
        start = time.monotonic()
        mutmut("run", "--max-children", str(args.max_children), *args.mutants)
        print(f"\nmutation run took {time.monotonic() - start:.0f} s")
    return report(results(), documented_equivalents())


if __name__ == "__main__":
    sys.exit(main())
