"""Data-parallel training (shallownet.parallel) gives one device's parameters and costs.

The equality runs need several devices, which JAX fixes when it starts, so
they run in one worker process with 8 simulated CPU devices
(tests/parallel_worker.py) and are compared here against
``shallownet.train.train`` on this process's single device, in float64.
"""

import functools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manual
import parallel_worker
import reference
from parallel_worker import finish, initial_params, launch, max_difference, results
from shallownet import data, parallel, train

DEVICES = (1, 2, 4, 8)
M_VALUES = (400, 397)  # flower: divisible by every N; not divisible by 2, 4 or 8
GRADS = ("manual", "reference")
# lr 1.2 on flower: a 1e-16 reduction-order difference stays under 1e-14 for
# 2,000 iterations (it grows once the cost starts to oscillate, much later); 300 keep the 8-device runs on 2 cores
# short.
ITERATIONS, CHUNK = 300, 120  # 3 chunks, the last one short
LOCAL_M_DEVICES = (1, 4)
TOLERANCE = 1e-12


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """One worker, 8 simulated CPU devices, every configuration; its .npz results."""
    out = tmp_path_factory.mktemp("parallel") / "simulated.npz"
    finish(
        launch(
            [
                out,
                "--cpu-devices",
                8,
                "--devices",
                *DEVICES,
                "--m",
                *M_VALUES,
                "--iterations",
                ITERATIONS,
                "--chunk",
                CHUNK,
                "--local-m-devices",
                *LOCAL_M_DEVICES,
            ]
        ),
        timeout=240,
    )
    with np.load(out) as npz:
        return dict(npz)


def one_device(gradients, m):
    return parallel_worker.one_device(gradients, m, ITERATIONS, CHUNK)


def test_worker_simulated_eight_devices(simulated):
    assert int(simulated["device_count"]) == 8


@pytest.mark.parametrize("n", DEVICES)
@pytest.mark.parametrize("m", M_VALUES)
@pytest.mark.parametrize("gradients", GRADS)
def test_sharded_training_matches_one_device(simulated, gradients, m, n):
    params, costs = results(simulated, "ok", gradients, m, n)
    chex.assert_shape(costs, (ITERATIONS,))
    chex.assert_type([costs, *params.values()], np.float64)
    assert max_difference((params, costs), one_device(gradients, m)) <= TOLERANCE


@pytest.mark.parametrize("m", M_VALUES)
def test_dividing_by_local_m_is_caught_on_several_devices(simulated, m):
    """The planted mistake (psum of per-shard means) is N times the gradient."""
    wrong = results(simulated, "local_m", "manual", m, 4)
    assert max_difference(wrong, one_device("manual", m)) > 1e-3


@pytest.mark.parametrize("m", M_VALUES)
def test_dividing_by_local_m_is_invisible_on_one_device(simulated, m):
    """Why the equality tests need N > 1: on one device local m is global m."""
    wrong = results(simulated, "local_m", "manual", m, 1)
    assert max_difference(wrong, one_device("manual", m)) <= TOLERANCE


@pytest.mark.parametrize("m, n, m_pad", [(400, 8, 400), (397, 8, 400), (397, 2, 398), (3, 8, 8)])
def test_pad_examples_pads_to_a_multiple_of_the_device_count(m, n, m_pad):
    X, Y = data.flower()
    X_pad, Y_pad, mask = parallel.pad_examples(X[:, :m], Y[:, :m].astype(np.float64), n)
    chex.assert_shape([X_pad, Y_pad, mask], [(2, m_pad), (1, m_pad), (1, m_pad)])
    np.testing.assert_array_equal(X_pad[:, :m], X[:, :m])
    assert mask.sum() == m and mask[0, :m].all()


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("output", ["sigmoid", "identity"])
def test_padded_columns_contribute_nothing_to_the_manual_sums(activation, output):
    """manual_sums over padded data / m equals manual.value_and_grads on the real columns."""
    X, Y = data.flower()
    X, Y = X[:, :397], Y[:, :397].astype(np.float64)
    params = manual.init_params(jax.random.key(1), 2, 4, 1, 1.0, jnp.float64)
    X_pad, Y_pad, mask = parallel.pad_examples(X, Y, 8)
    X_pad[:, 397:], Y_pad[:, 397:] = 3.0, 1.0  # would show if the mask leaked
    manual_sums = jax.jit(parallel.manual_sums, static_argnames=("activation", "output"))
    loss_sum, grad_sums = manual_sums(params, X_pad, Y_pad, mask, activation, output)
    J, grads = manual.value_and_grads(params, X, Y, activation, output)
    np.testing.assert_allclose(loss_sum / 397, J, rtol=1e-13)
    for k in grads:
        np.testing.assert_allclose(grad_sums[k] / 397, grads[k], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("output", ["sigmoid", "identity"])
def test_autodiff_of_the_global_cost_matches_the_manual_sums(activation, output):
    """On a one-device mesh, with padding: jax.grad of global_cost == psum(manual sums) / m."""
    X, Y = data.flower()
    X_pad, Y_pad, mask = parallel.pad_examples(X[:, :397], Y[:, :397].astype(np.float64), 8)
    X_pad[:, 397:], Y_pad[:, 397:] = 3.0, 1.0  # would show if the mask leaked
    params = manual.init_params(jax.random.key(4), 2, 4, 1, 1.0, jnp.float64)
    mesh = parallel.data_mesh(1)
    results = [
        jax.jit(
            jax.shard_map(
                functools.partial(vg, activation=activation, output=output),
                mesh=mesh,
                in_specs=jax.P(),
                out_specs=jax.P(),
            )
        )(params, X_pad, Y_pad, mask, 397.0)
        for vg in (parallel.manual_value_and_grads, parallel.reference_value_and_grads)
    ]
    (J_manual, g_manual), (J_auto, g_auto) = results
    np.testing.assert_allclose(J_auto, J_manual, rtol=1e-14)
    for k in g_manual:
        np.testing.assert_allclose(g_auto[k], g_manual[k], rtol=1e-12, atol=1e-15)


def _sharded_reference(params, X_pad, Y_pad, mask, m):
    mesh = parallel.data_mesh(1)
    shard = jax.shard_map(parallel.reference_value_and_grads, mesh=mesh, in_specs=jax.P(), out_specs=jax.P())
    return jax.jit(shard)(params, X_pad, Y_pad, mask, m)


def test_the_sharded_reference_path_uses_nothing_of_manual(monkeypatch):
    """A slip in manual's forward pass or loss cannot reach the sharded reference path: it stays the witness."""
    X, Y = data.flower()
    X_pad, Y_pad, mask = parallel.pad_examples(X[:, :397], Y[:, :397].astype(np.float64), 8)
    params = manual.init_params(jax.random.key(5), 2, 4, 1, 1.0, jnp.float64)
    honest = _sharded_reference(params, X_pad, Y_pad, mask, 397.0)

    def planted(*args, **kwargs):
        raise AssertionError("the reference path called manual")

    for name in ("forward_unchecked", "forward", "loss", "cost"):
        monkeypatch.setattr(manual, name, planted)
    J, grads = _sharded_reference(params, X_pad, Y_pad, mask, 397.0)
    np.testing.assert_array_equal(J, honest[0])
    # and it is the one-device reference: jax.grad of reference's own cost on the unpadded data
    J_one, grads_one = reference.value_and_grads(params, X[:, :397], Y[:, :397].astype(np.float64))
    np.testing.assert_allclose(J, J_one, rtol=1e-14)
    for k in grads_one:
        chex.assert_type(grads[k], jnp.float64)
        np.testing.assert_allclose(grads[k], grads_one[k], rtol=1e-12, atol=1e-15)


def test_more_devices_than_exist_names_how_many_exist():
    X, Y = data.flower()
    n = len(jax.devices())
    with pytest.raises(ValueError, match=f"asked for {n + 1} devices but only {n} cpu device"):
        train.train(initial_params(), X, Y, devices=n + 1, iterations=1)


@pytest.mark.parametrize("devices", [0, -1, 1.5, True])
def test_devices_must_be_a_positive_integer(devices):
    X, Y = data.flower()
    with pytest.raises(ValueError, match="devices must be a positive integer"):
        train.train(initial_params(), X, Y, devices=devices, iterations=1)


def test_one_device_parallel_run_in_process_matches_train():
    """The single-device mesh in this process: same loop, same numbers, float32 too."""
    X, Y = data.flower()
    for dtype, tol in ((np.float64, TOLERANCE), (np.float32, 1e-5)):
        params, costs = train.train(initial_params(), X, Y, devices=1, iterations=50, chunk=20, dtype=dtype)
        ref_params, ref_costs = train.train(initial_params(), X, Y, iterations=50, chunk=20, dtype=dtype)
        chex.assert_type([costs, *params.values()], dtype)
        assert max_difference((params, costs), (ref_params, ref_costs)) <= tol


def test_progress_is_reported_between_chunks():
    X, Y = data.flower()
    seen = []
    _, costs = train.train(
        initial_params(),
        X,
        Y,
        devices=1,
        iterations=50,
        chunk=20,
        progress=lambda done, cost: seen.append((done, cost)),
    )
    assert [done for done, _ in seen] == [20, 40, 50]
    assert [c for _, c in seen] == [costs[19], costs[39], costs[49]]


def test_divergence_raises_with_the_last_finite_params():
    X, Y = data.flower()
    params = manual.init_params(jax.random.key(3), 2, 4, 1, 1.0, jnp.float64)
    with pytest.raises(train.Diverged) as info:
        train.train(params, X, Y, devices=1, activation="relu", output="identity", lr=1e3, iterations=200, chunk=50)
    err = info.value
    assert all(np.isfinite(np.asarray(v)).all() for v in err.params.values())
    assert len(err.costs) == err.iteration and np.isfinite(err.costs).all()


def test_ctrl_c_keeps_the_last_finished_chunk():
    X, Y = data.flower()

    def interrupt_at_40(done, cost):
        if done == 40:
            raise KeyboardInterrupt

    with pytest.raises(train.Interrupted) as info:
        train.train(initial_params(), X, Y, devices=1, iterations=100, chunk=20, progress=interrupt_at_40)
    _, ref_costs = train.train(initial_params(), X, Y, iterations=40, chunk=20)
    assert info.value.iteration == 40
    np.testing.assert_allclose(info.value.costs, ref_costs, rtol=1e-12)
