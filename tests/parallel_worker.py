"""Runs train.train(devices=N) in a fresh process (the device count is fixed when JAX starts).

Not a test module: tests/test_parallel.py and tests/test_multiprocess.py start
it through ``launch`` and read back an .npz whose keys are
``"{label}/{gradients}/m{m}/n{devices}/{name}"`` (label "ok" or "local_m", name in
W1 b1 W2 b2 costs), plus ``params0/{name}`` (the shared initial parameters),
``device_count`` and ``process_count``.

    python tests/parallel_worker.py OUT.npz --cpu-devices 8 --devices 1 2 4 8 --m 400 397 ...
    python tests/parallel_worker.py OUT.npz --cpu-devices 2 --port P --num-processes 2 --process-id I ...
"""

import argparse
import functools
import os
import subprocess
import sys

# Importing these starts no JAX backend, so the device count can still be set in main().
import jax
import numpy as np
from jax import lax

import manual
from shallownet import data, parallel, train

N_H = 5
SCALE = 0.01  # the course's init scale; lr 1.2 stays non-chaotic over the compared horizon


def launch(argv):
    """Start this worker with ``argv`` and no inherited XLA device flags; return the Popen."""
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "JAX_NUM_CPU_DEVICES")}
    env["JAX_PLATFORMS"] = "cpu"
    return subprocess.Popen(
        [sys.executable, __file__, *map(str, argv)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(proc, timeout):
    """Wait for a launched worker (killing it after ``timeout`` s); raise with its output on failure."""
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        output, _ = proc.communicate()
        raise AssertionError(f"worker timed out after {timeout} s:\n{output[-4000:]}") from None
    if proc.returncode != 0:
        raise AssertionError(f"worker exited with {proc.returncode}:\n{output[-4000:]}")


def parse(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--cpu-devices", type=int, required=True, help="CPU devices in this process")
    ap.add_argument("--devices", type=int, nargs="+", required=True, help="mesh sizes to train on")
    ap.add_argument("--m", type=int, nargs="+", required=True, help="example counts (flower prefixes)")
    ap.add_argument("--gradients", nargs="+", default=["manual", "reference"])
    ap.add_argument("--iterations", type=int, required=True)
    ap.add_argument("--chunk", type=int, required=True)
    ap.add_argument(
        "--local-m-devices",
        type=int,
        nargs="*",
        default=[],
        help="also train the planted local-m mistake on these mesh sizes",
    )
    ap.add_argument("--port", type=int, help="coordinator port on 127.0.0.1 (multi-process)")
    ap.add_argument("--num-processes", type=int)
    ap.add_argument("--process-id", type=int)
    return ap.parse_args(argv)


def local_m_value_and_grads(params, X, Y, mask, m, activation="tanh", output="sigmoid"):
    """THE PLANTED MISTAKE (test only): each shard divides by its own m / N columns.

    The psum of per-shard means is N times the true gradient; the tests must catch it.
    """
    loss_sum, grad_sums = parallel.manual_sums(params, X, Y, mask, activation, output)
    m_local = X.shape[1]
    return lax.psum((loss_sum / m_local, {k: v / m_local for k, v in grad_sums.items()}), parallel.AXIS)


def initial_params():
    X, Y = data.flower()
    return manual.init_params(jax.random.key(0), X.shape[0], N_H, Y.shape[0], SCALE, np.float64)


@functools.cache
def one_device(gradients, m, iterations, chunk):
    """shallownet.train.train on the calling process's default device, from initial_params()."""
    X, Y = data.flower()
    params, costs = train.train(
        initial_params(), X[:, :m], Y[:, :m], gradients=gradients, iterations=iterations, chunk=chunk
    )
    return {k: np.asarray(v) for k, v in params.items()}, costs


def relative_difference(a, b):
    """||a - b|| / ||b|| (Frobenius), a scalar: elementwise ratios blow up near zero entries."""
    a, b = np.asarray(a), np.asarray(b)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def results(npz, label, gradients, m, n):
    """(params, costs) of one run from a worker's .npz."""
    prefix = f"{label}/{gradients}/m{m}/n{n}/"
    return {k: npz[prefix + k] for k in ("W1", "b1", "W2", "b2")}, npz[prefix + "costs"]


def max_difference(result, baseline):
    """The largest relative difference: per array for W1 b1 W2 b2, per entry of the cost history."""
    (params, costs), (params_ref, costs_ref) = result, baseline
    assert costs.shape == costs_ref.shape, (costs.shape, costs_ref.shape)
    cost_diff = np.max(np.abs(costs - costs_ref) / np.abs(costs_ref))
    return max([relative_difference(params[k], params_ref[k]) for k in params_ref] + [cost_diff])


def main(argv):
    args = parse(argv)
    jax.config.update("jax_num_cpu_devices", args.cpu_devices)
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_numpy_rank_promotion", "raise")
    if args.port is not None:
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
        # bind the coordinator to loopback only (JAX's default binds every interface)
        address = f"127.0.0.1:{args.port}"
        jax.distributed.initialize(
            coordinator_address=address,
            coordinator_bind_address=address,
            num_processes=args.num_processes,
            process_id=args.process_id,
            initialization_timeout=60,
        )
    X, Y = data.flower()
    params0 = initial_params()
    runs = [("ok", gradients, m, n) for gradients in args.gradients for m in args.m for n in args.devices]
    runs += [("local_m", local_m_value_and_grads, m, n) for m in args.m for n in args.local_m_devices]
    out = {
        "device_count": np.asarray(len(jax.devices())),
        "process_count": np.asarray(jax.process_count()),
        **{f"params0/{k}": np.asarray(v) for k, v in params0.items()},
    }
    for label, gradients, m, n in runs:
        params, costs = train.train(
            params0, X[:, :m], Y[:, :m], devices=n, gradients=gradients, iterations=args.iterations, chunk=args.chunk
        )
        name = gradients if isinstance(gradients, str) else "manual"
        for k, v in {**params, "costs": costs}.items():
            out[f"{label}/{name}/m{m}/n{n}/{k}"] = np.asarray(v)
    with open(args.out, "wb") as f:
        np.savez(f, **out)
    if args.port is not None:
        jax.distributed.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
