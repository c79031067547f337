"""The learner's code runs in a child process the checker controls (checker.run, checker.child, checker.wire).

The corpus (test_checker_corpus.py) has the hostile files as learners would
write them; these tests pin the mechanisms: what the child loads, the
channel (no pickle, a token, a nonce per call), the limits, what is killed.
"""

import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from checker import check_file, wire
from checker.check import Settings
from checker.run import Limits

ROOT = Path(__file__).resolve().parents[1]
RIGHT = """
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - cache["A1"] ** 2)
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, cache["A1"].T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}
"""
QUICK = Limits(timeout=2, memory_mb=512, load_seconds=2)


def _write(tmp_path, body, head=""):
    path = tmp_path / "hw.py"
    path.write_text(f"import numpy as np\n{head}\ndef backward_propagation(parameters, cache, X, Y):\n{body}")
    return path


def checked(tmp_path, body, head="", limits=QUICK):
    return check_file(_write(tmp_path, body, head), Settings(), limits)


# --- the channel ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a",
    [
        np.arange(6.0).reshape(2, 3),
        np.float32([[np.nan, 1]]),
        np.int64([1, 2]),
        np.zeros((0, 3)),
        np.asfortranarray(np.ones((3, 2))),
        np.array(2.5),  # 0-d: what np.sum(dZ2) without an axis returns
    ],
)
def test_arrays_cross_the_channel_unchanged(a):
    back = wire.decode(wire.encode({"a": a})[wire.HEADER.size :])["a"]
    assert back.dtype == a.dtype and back.shape == a.shape
    np.testing.assert_array_equal(back, a)


# Every numeric kind the decoder accepts, in both byte orders, any shape up to 3-D (empty ones too).
NUMERIC_DTYPES = (
    hnp.boolean_dtypes()
    | hnp.integer_dtypes(endianness="=")
    | hnp.unsigned_integer_dtypes(endianness="=")
    | hnp.floating_dtypes(endianness="=")
    | hnp.complex_number_dtypes(endianness="=")
    | hnp.floating_dtypes(endianness=">")
)


@given(
    array=hnp.arrays(NUMERIC_DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)),
    transposed=st.booleans(),
)
def test_any_numeric_array_crosses_the_channel_bit_for_bit(array, transposed):
    sent = array.T if transposed else array  # a view that is not C-contiguous
    back = wire.decode(wire.encode({"a": sent})[wire.HEADER.size :])["a"]
    assert back.dtype == sent.dtype and back.shape == sent.shape
    assert back.tobytes() == np.ascontiguousarray(sent).tobytes()  # NaN payloads and -0.0 included


@given(
    messages=st.lists(
        st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=8), max_size=3), max_size=4
    ),
    cuts=st.lists(st.integers(1, 40), max_size=20),
)
def test_frames_come_out_whole_however_the_pipe_splits_the_bytes(messages, cuts):
    stream = b"".join(wire.encode(message) for message in messages)
    buffer, received, start = wire.FrameBuffer(), [], 0
    for size in [*cuts, len(stream)]:  # the last read takes whatever is left
        buffer.feed(stream[start : start + size])
        start += size
        received += [wire.decode(payload) for payload in buffer.frames()]
    assert received == messages


def test_a_scalar_gradient_comes_back_from_the_child_as_a_scalar(tmp_path):
    """np.sum(dZ2) without axis=1 gives a 0-d db2: it must cross as shape (), or the slip reads as keepdims."""
    body = RIGHT.replace('"db2": np.sum(dZ2, axis=1, keepdims=True) / m', '"db2": np.sum(dZ2) / m')
    assert body != RIGHT
    result = checked(tmp_path, body)
    assert result.report.row("db2").shape.startswith("() want"), result.report.row("db2").shape
    assert "np.sum(dZ2) without axis=1 adds up everything to one number" in result.message, result.message


@pytest.mark.parametrize(
    "payload, words",
    [
        (pickle.dumps({"kind": "result"}), "not a message"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps({"x": {"__array__": {"dtype": "|O", "shape": [1], "data": ""}}}).encode(), "refused array dtype"),
        (
            json.dumps({"x": {"__array__": {"dtype": "<f8", "shape": [2], "data": "AAAAAAAAAAA="}}}).encode(),
            "do not fill its shape",
        ),
        (
            json.dumps({"x": {"__array__": {"dtype": "V8", "shape": [1], "data": "AAAAAAAAAAA="}}}).encode(),
            "refused array dtype",
        ),
    ],
)
def test_what_is_not_a_checker_message_is_refused(payload, words):
    with pytest.raises(wire.WireError, match=words):
        wire.decode(payload)


def test_a_frame_over_the_limit_is_refused_before_it_is_read():
    buffer = wire.FrameBuffer()
    buffer.feed(wire.HEADER.pack(wire.MAX_FRAME + 1))
    with pytest.raises(wire.WireError, match="over the"):
        list(buffer.frames())


# --- what the child is -------------------------------------------------------------------------


def test_the_child_loads_neither_jax_nor_the_truth(tmp_path):
    result = checked(
        tmp_path,
        "    import sys\n"
        "    loaded = {'jax', 'reference', 'checker.problems'} & set(sys.modules)\n"
        "    assert not loaded, loaded\n" + RIGHT,
    )
    assert result.passed, result.text()


def test_importing_the_child_side_of_the_checker_loads_no_jax():
    code = "import sys, checker.child, checker.load, checker.call, checker.wire; print('jax' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    ).stdout
    assert out.strip() == "False"


def test_what_the_learners_code_patches_stays_in_its_process(tmp_path):
    result = checked(
        tmp_path,
        "    np.linalg.norm = lambda *a, **k: 0.0\n    np.abs = lambda a: 0 * a\n" + RIGHT,
        head="np.allclose = lambda *a, **k: True",
    )
    assert result.passed and np.linalg.norm(np.ones(4)) == 2.0


def test_stdin_is_closed_and_output_is_captured_from_both_streams(tmp_path):
    result = checked(
        tmp_path,
        "    import os, sys\n    print('to stdout')\n    os.write(2, b'to fd 2\\n')\n"
        "    input('your name? ')\n" + RIGHT,
    )
    assert not result.passed
    assert "raised EOFError: EOF when reading a line (every problem)" in result.report.problems
    assert result.stdout.text.startswith("to stdout\n") and result.stderr.text.startswith("to fd 2\n")
    assert "--- stderr of your code: 5 lines, 40 bytes ---\n| to fd 2" in result.text()


def test_sys_exit_in_the_function_is_stopped_and_fails(tmp_path):
    result = checked(tmp_path, "    import sys\n    sys.exit(0)\n")
    assert not result.passed
    assert "raised SystemExit: 0 (every problem)" in result.report.problems
    assert (
        "raised: your function called sys.exit(): the checker stopped it there; return the gradients instead"
        in result.report.diagnoses
    )


# --- limits and endings ----------------------------------------------------------------------


def test_loading_has_its_own_time_limit_and_says_where_it_stopped(tmp_path):
    started = time.monotonic()
    result = checked(tmp_path, RIGHT, head="import time\nclass Slow:\n    time.sleep(30)\n")
    assert time.monotonic() - started < 15
    assert (
        result.message == "loading hw.py (at line 3) took longer than 2 s, the time limit (--timeout); "
        "the process was stopped"
    )
    assert result.timed_out and not result.passed


def test_a_child_that_closes_its_channel_and_lives_on_is_stopped(tmp_path):
    result = checked(
        tmp_path,
        "    import os, time\n    for fd in range(3, 64):\n"
        "        try:\n            os.close(fd)\n"
        "        except OSError:\n            pass\n    time.sleep(30)\n",
    )
    assert (
        "closed the checker's channel and kept running; it was stopped while calling backward_propagation "
        "on problem 1" in result.message
    )


def _processes_with(marker):
    """PIDs of this machine's processes whose command line holds ``marker`` (zombies left out)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (
                entry.name.isdigit()
                and marker in (entry / "cmdline").read_bytes().decode("utf-8", "replace")
                and (entry / "stat").read_text().split()[2] != "Z"
            ):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("mode", ["auto", "none"])
def test_what_the_learners_code_started_is_killed_with_it(tmp_path, mode):
    # A sleep with a marker no other process has: after the check, no process on the machine holds it.
    marker = f"{os.getpid()}.{mode == 'auto'}{time.monotonic_ns() % 10**6}"
    result = check_file(
        _write(tmp_path, f"    import subprocess\n    subprocess.Popen(['sleep', '{marker}'])\n" + RIGHT),
        Settings(),
        QUICK,
        isolation=mode,
    )
    assert result.passed, result.text()
    assert any("subprocess.Popen" in note for note in result.notes)
    deadline = time.monotonic() + 5
    while _processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _processes_with(marker)


def test_a_forged_result_with_fields_of_another_type_is_tampering_not_a_crash(tmp_path):
    # The right token and nonce, but a number where the checker reads a list: the file fails, the check goes on.
    body = (
        """
    import json, os, struct, sys
    frame, secrets = sys._getframe(1), {}
    while frame is not None:
        secrets.update(frame.f_locals)
        frame = frame.f_back
    argv = open("/proc/self/cmdline", "rb").read().split(b"\\0")
    fd = int(argv[argv.index(b"checker.child") + 2])
    message = {"kind": "result", "index": secrets["request"]["index"], "nonce": secrets["request"]["nonce"],
               "token": secrets["token"], "error": {"type": "ValueError", "none_locals": 5}}
    payload = json.dumps(message).encode()
    os.write(fd, struct.pack(">Q", len(payload)) + payload)
"""
        + RIGHT
    )
    result = checked(tmp_path, body)
    assert not result.passed
    assert "sent a malformed message" in result.message and "tampered with" in result.message


def test_a_result_written_twice_is_tampering(tmp_path):
    # The learner's code finds the channel and the secrets and answers the call itself, then returns.
    body = (
        """
    import json, os, struct, sys
    frame, secrets = sys._getframe(1), {}
    while frame is not None:
        secrets.update(frame.f_locals)
        frame = frame.f_back
    argv = open("/proc/self/cmdline", "rb").read().split(b"\\0")
    fd = int(argv[argv.index(b"checker.child") + 2])
    message = {"kind": "result", "index": secrets["request"]["index"], "nonce": secrets["request"]["nonce"],
               "token": secrets["token"], "output": {"kind": "dict", "entries": {}}}
    payload = json.dumps(message).encode()
    os.write(fd, struct.pack(">Q", len(payload)) + payload)
"""
        + RIGHT
    )
    result = checked(tmp_path, body)
    assert not result.passed
    assert "its result channel was tampered with" in result.message


def test_the_learners_folder_cannot_shadow_the_childs_modules_but_its_helpers_import(tmp_path):
    (tmp_path / "checker.py").write_text("raise SystemExit('the learner checker.py ran')\n")
    (tmp_path / "wire.py").write_text("raise SystemExit('the learner wire.py ran')\n")
    (tmp_path / "my_helpers.py").write_text("def tanh_prime(A):\n    return 1 - A ** 2\n")
    result = checked(
        tmp_path,
        RIGHT.replace('(1 - cache["A1"] ** 2)', 'tanh_prime(cache["A1"])'),
        head="from my_helpers import tanh_prime",
    )
    assert result.passed, result.text()
