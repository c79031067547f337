"""pytest plugin for mutmut runs (loaded by [tool.mutmut] pytest_add_cli_args; cwd is mutants/).

Three things make mutation testing of jitted code correct and fast enough:

- Stats: mutmut learns which tests reach which function from trampoline hits
  while the whole selection runs once. Under ``jax.jit`` a function body runs
  only while it is traced, and a test that finds a compiled entry in JAX's
  in-memory cache never calls it: that test would not be counted for the
  function, and its mutants would skip a test that kills them. So in the
  stats run every test starts from empty caches.
- Compile time dominates a test run (the selection takes ~36 s cold, ~9 s with
  a warm persistent cache). Every worker shares one persistent compilation
  cache under mutants/: code the mutant does not touch lowers to the same HLO
  and is not compiled again; code it does touch lowers to different HLO, so it
  misses the cache and is compiled (a cache hit is only ever the same program).
- Workers stop at the first failure (-x), so the fastest tests run first.
- A mutant that breaks a test module's import (tests/test_bad_input.py builds
  its valid problem at import) would leave pytest with "not found" for the
  selected tests, a usage error that mutmut 3.8 records as a timeout: it is a
  failed test, and exits as one.
"""

import json
import os
from pathlib import Path

import jax
import pytest

CACHE = Path(".jax-cache").resolve()
STATS = Path("mutmut-stats.json")


def under_mutant():
    return os.environ.get("MUTANT_UNDER_TEST", "") not in ("", "stats", "fail", "mutant_generation")


jax.config.update("jax_compilation_cache_dir", str(CACHE))
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


@pytest.fixture(autouse=True)
def _trace_afresh_while_mutmut_collects_stats():
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        jax.clear_caches()
    yield


def pytest_collectreport(report):
    if report.failed and under_mutant():
        pytest.exit(
            f"{report.nodeid or report.fspath}: a test module fails to import under this mutant",
            returncode=pytest.ExitCode.TESTS_FAILED,
        )


def pytest_collection_modifyitems(items):
    if not under_mutant() or not STATS.exists():
        return
    duration = json.loads(STATS.read_text())["duration_by_test"]
    items.sort(key=lambda item: duration.get(item.nodeid, float("inf")))
