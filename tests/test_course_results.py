"""The course's published flower results, reproduced (its init, float64, lr 1.2).

Course figures: 90% training accuracy for n_h = 4 after 10,000 iterations
(90.75% recomputed); after 5,000 iterations per size 67.5 / 67.25 / 90.75 /
90.5 / 91.25 % for n_h = 1..5, about 90-91 % for 20 and 50; logistic
regression 47%. At n_h = 20 and 50 lr-1.2 training is chaotic by 5,000
iterations: round-off (the order of a sum) grows into a different end point,
so these two sizes are held to a band, not a figure. On the development
machine the course's numpy loop and the manual path, all at once or one
network at a time, give 90.50 / 90.75; the reference path 90.00 / 90.25
(docs/sweep.md).
"""

import numpy as np
import pytest

from shallownet import data, sweep, train

COURSE_TABLE = {1: 67.5, 2: 67.25, 3: 90.75, 4: 90.5, 5: 91.25}


@pytest.fixture(scope="module")
def flower():
    X, Y = data.flower()
    return X, Y.astype(np.float64)


@pytest.fixture(scope="module")
def course_runs(flower):
    """n_h = 4, 10,000 iterations, both gradient paths: the one long run of the suite, made once."""
    X, Y = flower
    start = train.init_params(2, 4, 1, init="course")
    return {
        path: train.train(start, X, Y, gradients=path, lr=1.2, iterations=10000, dtype="float64")
        for path in train.GRAD_PATHS
    }


@pytest.mark.slow
@pytest.mark.parametrize("gradients", ["manual", "reference"])
def test_course_network_reaches_90_percent_after_10000_iterations(flower, course_runs, gradients):
    X, Y = flower
    params, costs = course_runs[gradients]
    assert costs[0] == pytest.approx(0.693048, abs=1e-6)
    assert costs[9000] == pytest.approx(0.218607, abs=2e-3)  # the course's "Cost after iteration 9000"
    # The course prints 90%; recomputed, and from its numpy loop and both paths here, 90.75% (363 of 400 examples).
    # Past ~7,700 iterations round-off decides a quarter point (docs/training.md): a band, not the figure.
    assert 90.5 <= train.accuracy(params, X, Y) <= 91.0


@pytest.mark.slow
def test_manual_and_reference_costs_agree_loosely_over_the_full_run(flower, course_runs):
    # Past ~5,000 iterations round-off differences reach 1e-1 in the parameters:
    # only the costs and the accuracy are comparable.
    X, Y = flower
    np.testing.assert_allclose(course_runs["manual"][1], course_runs["reference"][1], atol=2e-2)
    accs = [train.accuracy(params, X, Y) for params, _ in course_runs.values()]
    assert abs(accs[0] - accs[1]) <= 1.0


@pytest.mark.slow
def test_hidden_size_table_matches_the_course_exactly(flower):
    """All seven sizes at once (the sweep's one program), float64, 5,000 iterations: the published table."""
    X, Y = flower
    result = sweep.run(X, Y, hidden_units=[1, 2, 3, 4, 5, 20, 50], iterations=5000)
    accuracy = {row["hidden_units"]: row["train_mean"] for row in result.summary()}
    assert {n_h: accuracy[n_h] for n_h in COURSE_TABLE} == COURSE_TABLE
    for n_h in (20, 50):
        assert 89.5 <= accuracy[n_h] <= 91.5, n_h
    assert result.logistic["train_accuracy"] == pytest.approx(47.0, abs=1.0)
    assert all(network.final_cost < 0.693 for network in result.networks)


def test_sweep_table_lists_every_size_and_the_baseline(flower):
    X, Y = flower
    result = sweep.run(X, Y, hidden_units=[2, 3], iterations=50)
    lines = sweep.summary_table(result).splitlines()
    assert [line.split()[0] for line in lines[1:3]] == ["2", "3"] and lines[3].startswith("logistic regression")
    assert all(0 <= n.train_accuracy <= 100 for n in result.networks)
