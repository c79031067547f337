"""The compile, a phase Python cannot interrupt: run apart, shown on a terminal only, left at once on a signal.

``shallownet.phases.wait`` on its own (threads, no JAX), then the training
program compiled once and called by every chunk (JAX's own compile events),
the persistent compile cache still serving a second run, and real processes:
a large sweep stopped during its cold compile exits 128 + N with the one-line
message, writes nothing and leaves the compile unfinished (its cache entry is
never written); the compile's line shows on a terminal and never on a pipe.
"""

import io
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from shallownet import fit, phases, signals, train
from work_lost import environment, read_rest, read_until

# --------------------------------------------------------------------------- phases.wait, no JAX


def test_wait_returns_the_result_of_the_work():
    assert phases.wait(lambda: 6 * 7, label="answering", show=False) == 42


def test_wait_raises_the_error_of_the_work_in_the_caller():
    def broken():
        raise ValueError("no room for the program")

    with pytest.raises(ValueError, match="no room for the program"):
        phases.wait(broken, label="compiling", show=False)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_request_leaves_a_phase_that_would_never_end(signum):
    never = threading.Event()
    asked = []

    def should_stop():
        asked.append(1)
        return signum if len(asked) >= 2 else None

    try:
        with pytest.raises(signals.Stop) as stopped:
            phases.wait(never.wait, label="compiling", should_stop=should_stop, show=False)
        assert stopped.value.signum == signum and len(asked) == 2
    finally:
        never.set()  # let the abandoned thread end


def test_a_signal_that_raises_by_itself_interrupts_the_wait():
    """Under signals.raising (the command line outside training) a real SIGTERM ends the wait at once."""
    never = threading.Event()
    timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGTERM))
    try:
        with pytest.raises(signals.Stop) as stopped, signals.raising():
            timer.start()
            phases.wait(never.wait, label="compiling", show=False)
        assert stopped.value.signum == signal.SIGTERM
    finally:
        timer.cancel()
        never.set()


def test_without_a_request_the_phase_runs_to_its_end():
    assert phases.wait(lambda: time.sleep(3 * phases.POLL) or "done", label="x", should_stop=lambda: None) == "done"


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("file, shown", [(Terminal(), True), (io.StringIO(), False)])
def test_a_long_phase_is_shown_on_a_terminal_and_never_elsewhere(monkeypatch, file, shown):
    monkeypatch.setattr(phases, "SHOW_AFTER", 0.0)
    phases.wait(lambda: time.sleep(3 * phases.POLL), label="compiling the training program (XLA)", file=file)
    assert ("compiling the training program (XLA): 0 s" in file.getvalue()) == shown, repr(file.getvalue())


def test_a_short_phase_is_not_shown_even_on_a_terminal():
    terminal = Terminal()
    phases.wait(lambda: None, label="compiling", file=terminal)
    assert terminal.getvalue() == ""


# --------------------------------------------------------------------------- one compile, in this process


def problem(m=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2, m))
    return X, (X[:1] * X[1:] > 0).astype(np.float64)


@pytest.mark.parametrize("chunk", [7, 23])  # shapes no other test uses: the in-memory cache cannot serve them
def test_the_training_program_is_compiled_once_and_every_chunk_calls_it(backend_compiles, chunk):
    X, Y = problem()
    timings = {}
    _, costs = train.train(train.init_params(2, 3, 1), X, Y, iterations=10 * chunk, chunk=chunk, timings=timings)
    assert costs.shape == (10 * chunk,) and costs.dtype == np.float64
    assert backend_compiles == ["jit(run_chunk)"]  # ahead of time, once; the 10 chunks compiled nothing
    assert timings["compile_s"] > 0 and timings["run_s"] > 0


def test_a_stop_request_during_the_compile_is_interrupted_at_iteration_zero(monkeypatch):
    """The library's view: Interrupted with the initial parameters, the iteration the run started at."""
    started = threading.Event()
    release = threading.Event()

    def slow_compile(work, **options):  # the real wait, over a compile that has not finished yet
        def compile_later():
            started.set()
            release.wait()
            return work()

        return real_wait(compile_later, **options)

    real_wait = phases.wait
    monkeypatch.setattr(phases, "wait", slow_compile)
    X, Y = problem(m=31)
    params = train.init_params(2, 5, 1, seed=3)
    try:
        with pytest.raises(train.Interrupted) as stopped:
            train.train(
                params, X, Y, iterations=50, chunk=11, start_iteration=40,
                should_stop=lambda: signal.SIGTERM if started.is_set() else None,
            )  # fmt: skip
    finally:
        release.set()
    e = stopped.value
    assert e.signum == signal.SIGTERM and e.iteration == 40 and e.total == 90
    for name in params:
        np.testing.assert_array_equal(e.params[name], params[name])
    assert e.history.done == 40 and e.costs.shape == (0,)


def test_the_label_names_the_compile():
    assert fit.COMPILING == "compiling the training program (XLA)"


# --------------------------------------------------------------------------- real processes

# A grid of many groups (sizes x activations): its cold compile lasts seconds, long enough to be stopped.
LARGE_SWEEP = [
    "--hidden-units", "1", "2", "3", "4", "5", "6", "7", "8", "20", "50",
    "--activation", "tanh", "relu", "sigmoid", "leaky_relu", "identity",
    "--seeds", "2", "--iterations", "100", "--dtype", "float32", "--no-plots",
]  # fmt: skip


def cold_environment(cache):
    """A private, empty compile cache that keeps every program (none is too quick to be kept)."""
    env = environment(cache)
    env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
    return env


def sweep_command(out):
    return [sys.executable, "-m", "shallownet.cli", "sweep", "--out", str(out), *LARGE_SWEEP]


def run_chunk_entries(cache):
    return [name for name in os.listdir(cache) if name.startswith("jit_run_chunk")] if cache.exists() else []


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_large_sweeps_compile_exits_at_once_and_writes_nothing(tmp_path, signum):
    """On a terminal: the compile's line shows; the stop does not wait for XLA (its cache entry never appears)."""
    import fcntl
    import pty
    import struct
    import termios

    out, cache = tmp_path / "sweep", tmp_path / "xla-cache"
    master, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a fresh pty is 0 x 0
    process = subprocess.Popen(sweep_command(out), stdout=subprocess.PIPE, stderr=terminal, env=cold_environment(cache))
    os.close(terminal)
    try:
        shown = read_until(master, rb"compiling the training program \(XLA\): \d+ s", process)
        process.send_signal(signum)
        stdout, _ = process.communicate(timeout=60)
        shown += read_rest(master)
    finally:
        os.close(master)
    text = shown.decode(errors="replace")
    assert process.returncode == 128 + signum and stdout == b"", text[-800:]
    assert (
        f"shallownet: interrupted by {signal.Signals(signum).name} after iteration 0; no new chunk had finished, "
        "nothing saved" in text
    ), text[-800:]
    assert "Traceback" not in text and not out.exists()
    assert run_chunk_entries(cache) == []  # the process ended before XLA did: the stop did not wait for it


@pytest.mark.slow
def test_the_compile_is_not_shown_when_stderr_is_a_pipe(tmp_path):
    """The same compile, piped: past the moment a terminal shows its line, the pipe has received none."""
    out, cache = tmp_path / "sweep", tmp_path / "xla-cache"
    env = cold_environment(cache)
    env["JAX_LOG_COMPILES"] = "1"  # JAX's own log says when XLA's compile starts
    process = subprocess.Popen(sweep_command(out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        seen = read_until(process.stderr.fileno(), rb"MLIR module conversion jit\(run_chunk\)", process)
        time.sleep(phases.SHOW_AFTER + 0.5)  # on a terminal the line is up by now (shown at the first poll after)
        assert not run_chunk_entries(cache), "the compile ended too soon to tell"
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    text = (seen + err).decode(errors="replace")
    assert process.returncode == 128 + signal.SIGTERM, text[-800:]
    assert "compiling the training program" not in text and "interrupted by SIGTERM after iteration 0" in text


@pytest.mark.slow
def test_the_persistent_compile_cache_serves_a_second_run(tmp_path):
    """Two runs of one command: the first compiles the program once; the second loads it (a cache hit)."""
    cache = tmp_path / "xla-cache"
    env = cold_environment(cache)
    env["JAX_LOG_COMPILES"] = "1"
    logs = []
    for run in ("first", "second"):
        command = [sys.executable, "-m", "shallownet.cli", "train", "--out", str(tmp_path / run), "--iterations", "30"]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr[-800:]
        logs.append(done.stderr)
    first, second = logs
    assert first.count("Compiling jit(run_chunk)") == 1 and "cache hit for 'jit_run_chunk'" not in first
    assert len(run_chunk_entries(cache)) == 1
    assert second.count("Compiling jit(run_chunk)") == 1  # lowered once (the cache's key) ...
    assert second.count("Persistent compilation cache hit for 'jit_run_chunk'") == 1  # ... and loaded, not compiled
