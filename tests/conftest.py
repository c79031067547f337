"""Test-wide JAX settings, applied before any array exists.

x64 on: verification runs in float64 (tests still assert dtypes, since JAX
downcasts silently when the flag is off). Rank promotion "raise": adding a
(n,) bias to an (n, m) matrix becomes an error instead of a silent broadcast,
the classic missing-keepdims bug; the course's (n, 1) + (n, m) still works.

One draw per session: a check that names no seed draws its problems fresh (checker.cli.fresh_seed), and every
fresh draw's truth is compiled for its shapes. In this process all such checks share one seed, drawn once per
session (the header shows it; SHALLOWNET_TEST_SEED=N reproduces a session's draws), so its truth is compiled
once; other sessions draw other problems. Child processes (the command line, run_autograder) still draw
their own.

hypothesis: no example database and its caches outside the tree (nothing is
written into the checkout), no deadline (the first example of a shape pays for
a compilation), and a failure prints the @reproduce_failure line that replays it.
"""

import os
import secrets
import tempfile

import jax
import pytest
from hypothesis import settings

os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "shallownet-hypothesis"))

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")

settings.register_profile("shallownet", database=None, deadline=None, print_blob=True)
# The same examples on every run (HYPOTHESIS_PROFILE=derandomized), e.g. for mutation testing.
settings.register_profile("derandomized", parent=settings.get_profile("shallownet"), derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "shallownet"))

SESSION_SEED = int(os.environ.get("SHALLOWNET_TEST_SEED") or secrets.randbelow(2**31))
# pytest-xdist's workers start with this environment, so the whole session shares the header's seed.
os.environ["SHALLOWNET_TEST_SEED"] = str(SESSION_SEED)


def pytest_report_header():
    return f"fresh problems drawn from seed {SESSION_SEED} (SHALLOWNET_TEST_SEED={SESSION_SEED} draws them again)"


@pytest.fixture(autouse=True, scope="session")
def one_fresh_draw_per_session():
    from checker import cli

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "fresh_seed", lambda: SESSION_SEED)
        yield


@pytest.fixture
def backend_compiles():
    """The names of the programs XLA compiles (or loads from a cache) while the test runs: JAX's own events."""
    from jax import monitoring
    from jax._src import dispatch

    names = []

    def listen(event, duration, **details):
        if event == dispatch.BACKEND_COMPILE_EVENT:
            names.append(details.get("fun_name"))

    monitoring.register_event_duration_secs_listener(listen)
    yield names
    monitoring.unregister_event_duration_listener(listen)
