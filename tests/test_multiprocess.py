"""The same sharded train (train.train(devices=N)) under jax.distributed: two processes on 127.0.0.1 (gloo collectives).

Each process owns 2 CPU devices; the mesh spans all 4, so every step's psum
crosses the process boundary. Both processes must return one device's numbers.
"""

import socket

import numpy as np
import pytest

from parallel_worker import finish, launch, max_difference, one_device, results

PROCESSES, LOCAL_DEVICES = 2, 2
M = 397  # not divisible by 4: the padding travels too
ITERATIONS, CHUNK = 100, 60  # 2 chunks
TOLERANCE = 1e-12


def free_loopback_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    """Each process's .npz results (dicts), in process order."""
    out = tmp_path_factory.mktemp("multiprocess")
    port = free_loopback_port()
    processes = [
        launch(
            [
                out / f"p{i}.npz",
                "--cpu-devices",
                LOCAL_DEVICES,
                "--devices",
                PROCESSES * LOCAL_DEVICES,
                "--m",
                M,
                "--iterations",
                ITERATIONS,
                "--chunk",
                CHUNK,
                "--port",
                port,
                "--num-processes",
                PROCESSES,
                "--process-id",
                i,
            ]
        )
        for i in range(PROCESSES)
    ]
    try:
        for process in processes:
            finish(process, timeout=120)
    finally:
        for process in processes:  # a failed peer leaves the other waiting on its collective
            if process.poll() is None:
                process.kill()
                process.wait()
    loaded = []
    for i in range(PROCESSES):
        with np.load(out / f"p{i}.npz") as npz:
            loaded.append(dict(npz))
    return loaded


@pytest.mark.slow
def test_each_process_saw_the_global_devices(two_processes):
    for npz in two_processes:
        assert int(npz["process_count"]) == PROCESSES
        assert int(npz["device_count"]) == PROCESSES * LOCAL_DEVICES


@pytest.mark.slow
@pytest.mark.parametrize("process", range(PROCESSES))
@pytest.mark.parametrize("gradients", ["manual", "reference"])
def test_two_process_training_matches_one_device(two_processes, gradients, process):
    run = results(two_processes[process], "ok", gradients, M, PROCESSES * LOCAL_DEVICES)
    assert max_difference(run, one_device(gradients, M, ITERATIONS, CHUNK)) <= TOLERANCE
