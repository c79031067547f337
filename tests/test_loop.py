"""The compiled loop computes the cost only where it is kept and checks once per block, and nothing else changes.

Claims (shallownet/loop.py): gradients computed with or without the cost are
the same bits, so the parameters do not depend on which steps computed J; the
costs that are kept are the J the per-step loop computes; divergence is found
at the same iteration with the same last finite parameters as a loop that
checks every step, whether the first non-finite value is a parameter (caught
at the block's end: non-finite parameters stay non-finite) or the cost alone
(caught by ``logits_safe`` before the block runs). Beside them, a should-fail
case: without the bound, a block would walk past a non-finite cost.
"""

import jax.numpy as jnp
import numpy as np
import pytest

from shallownet import data, loop, train
from shallownet.history import CostHistory


def flower(dtype):
    X, Y = data.flower()
    return jnp.asarray(X, dtype), jnp.asarray(Y, dtype)


def chunk(params, X, Y, n, cost_every, offset, gradients="manual", activation="tanh", lr=1.2):
    dtype = X.dtype
    p = {k: jnp.asarray(v, dtype) for k, v in params.items()}
    out = loop.run_chunk(
        p,
        X,
        Y,
        np.asarray(lr, dtype),
        np.int32(n),
        np.int32(cost_every),
        np.int32(offset),
        activation=activation,
        output="sigmoid",
        gradients=gradients,
        capacity=n,
    )
    params, costs, steps, ok = out
    return {k: np.asarray(v) for k, v in params.items()}, np.asarray(costs), int(steps), bool(ok)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("gradients", ["manual", "reference"])
def test_which_steps_compute_the_cost_changes_no_parameter_bit(gradients, dtype):
    X, Y = flower(dtype)
    start = train.init_params(2, 4, 1, seed=3)
    every, costs_every, _, _ = chunk(start, X, Y, 1000, 1, 0, gradients)
    for cost_every, offset in ((8, 0), (8, 3), (64, 17)):
        params, costs, steps, ok = chunk(start, X, Y, 1000, cost_every, offset, gradients)
        assert steps == 1000 and ok
        for k in params:
            np.testing.assert_array_equal(params[k], every[k], err_msg=k)
        needed = (offset + np.arange(1000)) % cost_every == 0
        needed[-2:] = True  # the last step and the one before it
        np.testing.assert_array_equal(costs[needed], costs_every[needed])
        assert np.isnan(costs).sum() > 800  # most steps skipped the loss


def test_unbounded_activations_check_every_step():
    assert loop.blockable("tanh", "sigmoid") and loop.blockable("sigmoid", "sigmoid")
    assert not loop.blockable("relu", "sigmoid") and not loop.blockable("leaky_relu:0.2", "sigmoid")
    assert not loop.blockable("tanh", "identity")
    X, Y = flower("float32")
    _, costs, steps, ok = chunk(train.init_params(2, 4, 1), X, Y, 100, 8, 0, activation="relu")
    assert steps == 100 and ok and not np.isnan(costs).any()


@pytest.mark.parametrize("gradients, dtype", [("manual", "float32"), ("reference", "float64")])
def test_a_run_keeps_the_costs_and_parameters_of_the_per_step_loop(gradients, dtype):
    """train() with a bounded history (strides up to 64: blocks) against train() keeping every cost."""
    X, Y = data.flower()
    start = train.init_params(2, 5, 1, seed=2)
    kw = dict(gradients=gradients, iterations=3000, dtype=dtype, chunk=333)
    full, all_costs = train.train(start, X, Y, **kw)
    history = CostHistory(64)
    kept, _ = train.train(start, X, Y, history=history, chunk_seconds=0.01, **kw)
    for k in full:
        np.testing.assert_array_equal(np.asarray(kept[k]), np.asarray(full[k]), err_msg=k)
    iterations, costs = history.arrays()
    assert history.stride == 64 and iterations[-1] == 2999
    np.testing.assert_array_equal(costs, all_costs[iterations])


# ---------------------------------------------------------------- divergence, on a problem whose numbers are known
# One parameter w, grown by a factor (1 + lr) per step (gradient -w). With J = w**2
# the cost overflows (w > 1.3e154) at step 16, w itself (w > 1.8e308) at step 30: the first
# non-finite value is the cost while the parameter is still finite.

LR = 1e10


def growing(cost):
    def value_and_grads(p):
        return cost(p["w"]), {"dw": -p["w"]}

    def grads(p):
        return {"dw": -p["w"]}

    return value_and_grads, grads


def honest_bound(p, steps):
    """J = w^2 stays finite over ``steps`` steps while |w| (1 + lr)^steps < sqrt(max)."""
    return jnp.all(jnp.abs(p["w"]) * (1 + LR) ** steps < jnp.sqrt(jnp.finfo(jnp.float64).max))


def descend(value_and_grads, grads, safe, n=60, cost_every=1):
    p = {"w": jnp.ones((1,), jnp.float64)}
    blocks = {} if cost_every == 1 else {"grads": grads, "safe": safe}
    params, costs, steps, ok = loop.descend(
        value_and_grads, p, jnp.asarray(LR), np.int32(n), n, jnp.float64, cost_every=cost_every, offset=0, **blocks
    )
    return float(params["w"][0]), np.asarray(costs), int(steps), bool(ok)


@pytest.mark.parametrize(
    "what_goes_first, cost",
    [
        ("the cost", lambda w: jnp.sum(w * w)),  # w**2 overflows first
        ("a parameter", lambda w: jnp.sum(jnp.tanh(w))),  # always finite: w's own overflow stops it
    ],
)
def test_divergence_is_found_at_the_same_step_with_the_same_last_finite_parameters(what_goes_first, cost):
    value_and_grads, grads = growing(cost)
    w_step, costs_step, steps_step, ok_step = descend(value_and_grads, grads, honest_bound)
    w_block, costs_block, steps_block, ok_block = descend(value_and_grads, grads, honest_bound, cost_every=8)
    assert not ok_step and not ok_block
    assert steps_block == steps_step and w_block == w_step and np.isfinite(w_step)
    assert steps_step == (16 if what_goes_first == "the cost" else 30)
    # The history of the diverged run ends with the cost of the last step done, as the per-step loop's does.
    assert costs_block[steps_step - 1] == costs_step[steps_step - 1]


def test_without_the_bound_a_block_would_walk_past_a_non_finite_cost():
    """Should fail, on purpose: a 'safe' that always says yes lets the parameter run on to its own overflow."""
    value_and_grads, grads = growing(lambda w: jnp.sum(w * w))
    _, _, steps_step, _ = descend(value_and_grads, grads, honest_bound)
    _, _, steps_lying, _ = descend(value_and_grads, grads, lambda p, steps: jnp.asarray(True), cost_every=8)
    assert steps_lying > steps_step


@pytest.mark.parametrize(
    "W2, b2, lr, safe",
    [
        ([[0.5, -0.5, 2.0]], [[1.0]], 1.2, True),
        ([[1e36, 0.0, 0.0]], [[0.0]], 1.2, False),  # float32: 400 losses of up to 2e36 each overflow
        ([[0.0, 0.0, 0.0]], [[0.0]], 1e37, False),  # the steps themselves could carry W2 there
        ([[np.inf, 0.0, 0.0]], [[0.0]], 1.2, False),
        ([[np.nan, 0.0, 0.0]], [[0.0]], 1.2, False),
    ],
)
def test_the_logits_bound_vouches_only_for_finite_costs(W2, b2, lr, safe):
    f32 = jnp.float32
    assert (
        bool(loop.logits_safe(jnp.asarray(W2, f32), jnp.asarray(b2, f32), jnp.asarray(lr, f32), 400, loop.BLOCK))
        is safe
    )


def test_a_real_network_diverges_where_the_per_step_loop_does():
    X, Y = data.flower()
    start = train.init_params(2, 4, 1, seed=1)
    found = {}
    for name, extra in (("every step", {}), ("blocks", {"history": CostHistory(64)})):
        with pytest.raises(train.Diverged) as e:
            train.train(start, X, Y, lr=1e36, iterations=3000, dtype="float32", **extra)
        found[name] = e.value
    assert found["blocks"].iteration == found["every step"].iteration
    for k, v in found["every step"].params.items():
        np.testing.assert_array_equal(np.asarray(found["blocks"].params[k]), np.asarray(v))
