"""Time ``shallownet check FOLDER --problem cs231n --jobs 2`` on a 40-file cs231n class (not run for figures here).

The class is built in a temporary folder from tests/corpus_cs231n/ (its .py and .ipynb files, the helper
folder included, copied round-robin under new names until there are --files of them), then the command is
run --repeats times in a fresh process each; the wall times, their median and the load average at the
start are printed as JSON. Run it on a quiet machine: ``python benchmarks/bench_cs231n_folder.py``.
Prove it works with tiny settings: ``--files 2 --repeats 1``.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus_cs231n"


def build_class(folder: Path, count: int) -> None:
    """count learner files (and the helper module the helper-using file imports) in folder."""
    sources = sorted(p for p in CORPUS.glob("*") if p.suffix in (".py", ".ipynb"))
    for i in range(count):
        source = sources[i % len(sources)]
        shutil.copy(source, folder / f"student_{i:02d}_{source.name}")
    shutil.copy(CORPUS / "with_helpers" / "layer_utils.py", folder / "layer_utils.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        build_class(folder, args.files)
        command = [sys.executable, "-m", "checker", str(folder), "--problem", "cs231n", "--jobs", str(args.jobs)]
        load = os.getloadavg()[0]
        for _ in range(args.repeats):
            started = time.perf_counter()
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
            times.append(time.perf_counter() - started)
            # The totals line ("40 files: 30 pass, 10 fail"), wherever the isolation and seed lines went.
            totals = [line for line in done.stdout.splitlines() if re.match(r"\d+ files?: ", line)]
            summary = totals[-1] if totals else done.stderr[-300:]
    result = {
        "files": args.files + 1,  # the helper module is a file of the folder too
        "jobs": args.jobs,
        "seconds": [round(t, 2) for t in times],
        "median_seconds": round(statistics.median(times), 2),
        "load_average_at_start": load,
        "summary": summary,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
