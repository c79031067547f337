"""cs231n's two-layer net and the course's week-2 propagate, by hand (manual), equal jax.grad of reference.

reference.problem_costs writes each problem's cost from its description
alone; manual.two_layer_net and manual.logistic_propagate derive the
gradients by hand. On random shapes, in float64 (dtypes asserted), they
agree to round-off; a planted slip (the other reg convention, a missing 1/m)
does not, so the comparison can fail.
"""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from manual import logistic_propagate, two_layer_net
from reference import problem_costs

SHAPES_ROWS = [(7, 4, 5, 3), (12, 5, 6, 10), (9, 6, 4, 5), (3, 2, 8, 4)]  # N, D, H, C
SHAPES_COLUMNS = [(4, 7), (3, 9), (6, 5), (1, 2)]  # n_x, m
TIGHT = 1e-12
# The formulas compiled as one program per shape (op by op, each new shape compiled every operation: ~2 s a shape).
two_layer_loss = jax.jit(two_layer_net.two_layer_loss, static_argnames="convention")
propagate = jax.jit(logistic_propagate.propagate)


def _relative(a, b):
    return float(jnp.linalg.norm(a - b) / max(float(jnp.linalg.norm(b)), 1e-300))


def two_layer_draw(N, D, H, C, seed):
    rng = np.random.default_rng(seed)
    params = {
        "W1": jnp.asarray(rng.normal(size=(D, H))),
        "b1": jnp.asarray(rng.normal(size=(H,))),
        "W2": jnp.asarray(rng.normal(size=(H, C))),
        "b2": jnp.asarray(rng.normal(size=(C,))),
    }
    return params, jnp.asarray(rng.normal(size=(N, D))), jnp.asarray(rng.integers(0, C, size=N))


@pytest.mark.parametrize("convention", ["full", "half"])
@pytest.mark.parametrize("shape", SHAPES_ROWS)
def test_two_layer_net_grads_match_autodiff(shape, convention):
    N, D, H, C = shape
    params, X, y = two_layer_draw(N, D, H, C, seed=sum(shape))
    reg = 0.3
    loss, grads = two_layer_loss(params, X, y, reg, convention=convention)
    J, truth = problem_costs.problem_value_and_grads(
        params, X, y, reg, layout="rows", hidden="relu", output="softmax", reg_kind=convention
    )
    assert loss.dtype == J.dtype == jnp.float64
    assert loss.shape == ()
    assert abs(float(loss - J)) <= TIGHT * abs(float(J))
    for name in ("W1", "b1", "W2", "b2"):
        chex.assert_shape(grads[name], params[name].shape)
        assert grads[name].dtype == truth[name].dtype == jnp.float64
        assert _relative(grads[name], truth[name]) <= TIGHT, name


def test_two_layer_net_other_convention_is_seen():
    params, X, y = two_layer_draw(7, 4, 5, 3, seed=1)
    _, half = two_layer_loss(params, X, y, 0.3, convention="half")
    _, truth = problem_costs.problem_value_and_grads(
        params, X, y, 0.3, layout="rows", hidden="relu", output="softmax", reg_kind="full"
    )
    assert _relative(half["W1"], truth["W1"]) > 1e-3
    assert _relative(half["b1"], truth["b1"]) <= TIGHT  # biases carry no penalty in either convention


def test_two_layer_net_scores_match_reference():
    params, X, _ = two_layer_draw(9, 6, 4, 5, seed=3)
    S = two_layer_net.two_layer_forward(params, X)["S"]
    chex.assert_shape(S, (9, 5))
    np.testing.assert_allclose(S, problem_costs.problem_scores(params, X, layout="rows", hidden="relu"), rtol=1e-14)


def test_labels_that_leave_a_class_out_keep_every_class_column():
    params, X, _ = two_layer_draw(8, 2, 7, 4, seed=4)
    y = jnp.asarray([0, 1, 2, 0, 1, 2, 2, 0])  # class 3 never appears
    _, grads = two_layer_loss(params, X, y, 0.1)
    _, truth = problem_costs.problem_value_and_grads(
        params, X, y, 0.1, layout="rows", hidden="relu", output="softmax", reg_kind="full"
    )
    chex.assert_shape(grads["b2"], (4,))
    assert _relative(grads["W2"], truth["W2"]) <= TIGHT


def logistic_draw(n_x, m, seed):
    rng = np.random.default_rng(seed)
    w = jnp.asarray(rng.normal(size=(n_x, 1)))
    b = jnp.asarray(rng.normal())
    return w, b, jnp.asarray(rng.normal(size=(n_x, m))), jnp.asarray(rng.integers(0, 2, size=(1, m)).astype(float))


@pytest.mark.parametrize("shape", SHAPES_COLUMNS)
def test_week2_propagate_matches_autodiff(shape):
    n_x, m = shape
    w, b, X, Y = logistic_draw(n_x, m, seed=n_x * 10 + m)
    grads, cost = propagate(w, b, X, Y)
    # The course's w (n_x, 1) is the description's W1 (n_y=1, n_x) transposed: the edge's conversion.
    J, truth = problem_costs.problem_value_and_grads(
        {"W1": w.T, "b1": b}, X, Y, layout="columns", hidden=None, output="sigmoid"
    )
    chex.assert_shape([grads["dw"], grads["db"], cost], [(n_x, 1), (), ()])
    assert cost.dtype == grads["dw"].dtype == grads["db"].dtype == J.dtype == jnp.float64
    assert abs(float(cost - J)) <= TIGHT * abs(float(J))
    assert _relative(grads["dw"], truth["W1"].T) <= TIGHT
    assert _relative(grads["db"], truth["b1"]) <= TIGHT


def test_week2_missing_one_over_m_is_seen():
    w, b, X, Y = logistic_draw(4, 7, seed=0)
    grads, _ = propagate(w, b, X, Y)
    _, truth = problem_costs.problem_value_and_grads(
        {"W1": w.T, "b1": b}, X, Y, layout="columns", hidden=None, output="sigmoid"
    )
    assert _relative(7 * grads["dw"], truth["W1"].T) > 1


@pytest.mark.parametrize(
    ("reg_kind", "per_m", "factor"),
    [("none", False, 0.0), ("full", False, 1.0), ("half", False, 0.5), ("half", True, 0.5 / 5)],
)
def test_reference_penalty_is_the_described_one(reg_kind, per_m, factor):
    params, X, y = two_layer_draw(5, 3, 4, 2, seed=7)
    description = {"layout": "rows", "hidden": "relu", "output": "softmax"}
    plain = problem_costs.problem_cost(params, X, y, 0.0, **description)
    J = problem_costs.problem_cost(params, X, y, 0.2, reg_kind=reg_kind, reg_per_m=per_m, **description)
    total = float(jnp.sum(params["W1"] ** 2) + jnp.sum(params["W2"] ** 2))
    assert float(J - plain) == pytest.approx(factor * 0.2 * total, rel=1e-12, abs=1e-15)


def test_reference_identity_output_is_half_the_squared_error():
    rng = np.random.default_rng(5)
    params = {"W1": jnp.asarray(rng.normal(size=(2, 3))), "b1": jnp.asarray(rng.normal(size=(2, 1)))}
    X, Y = jnp.asarray(rng.normal(size=(3, 6))), jnp.asarray(rng.normal(size=(2, 6)))
    J = problem_costs.problem_cost(params, X, Y, layout="columns", hidden=None, output="identity")
    expected = 0.5 * jnp.mean(jnp.sum((params["W1"] @ X + params["b1"] - Y) ** 2, axis=0))
    assert float(J) == pytest.approx(float(expected), rel=1e-13)
