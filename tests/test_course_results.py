"""The course's published flower results, reproduced (its init, float64, lr 1.2).

Course figures: 90% training accuracy for n_h = 4 after 10,000 iterations
(90.75% recomputed); after 5,000 iterations per size 67.5 / 67.25 / 90.75 /
90.5 / 91.25 % for n_h = 1..5, about 90-91 % for 20 and 50; logistic
regression 47%. At n_h = 20 and 50 lr-1.2 training is chaotic by 5,000
iterations: round-off (the order of a sum) grows into a different end point,
so these two sizes are held to a band, not a figure. On the development
machine the course's numpy loop and the all-at-once sweep give 90.50 / 90.75,
``train.train`` one network at a time 90.00 / 90.25 (docs/sweep.md).
"""

import numpy as np
import pytest

from shallownet import data, sweep, train

COURSE_TABLE = {1: 67.5, 2: 67.25, 3: 90.75, 4: 90.5, 5: 91.25}


@pytest.fixture(scope="module")
def flower():
    X, Y = data.flower()
    return X, Y.astype(np.float64)


@pytest.mark.slow
@pytest.mark.parametrize("gradients", ["manual", "reference"])
def test_course_network_reaches_90_percent_after_10000_iterations(flower, gradients):
    X, Y = flower
    params, costs = train.train(
        train.init_params(2, 4, 1, init="course"), X, Y, gradients=gradients, lr=1.2, iterations=10000, dtype="float64"
    )
    assert costs[0] == pytest.approx(0.693048, abs=1e-6)
    assert costs[9000] == pytest.approx(0.218607, abs=2e-3)  # the course's "Cost after iteration 9000"
    assert train.accuracy(params, X, Y) >= 90.0


@pytest.mark.slow
def test_hidden_size_table_matches_the_course(flower):
    X, Y = flower
    result = sweep.run(X, Y, hidden_units=[1, 2, 3, 4, 5, 20, 50], iterations=5000)
    accuracy = {row["hidden_units"]: row["train_mean"] for row in result.summary()}
    for n_h, expected in COURSE_TABLE.items():
        assert accuracy[n_h] == pytest.approx(expected, abs=1.0), n_h
    for n_h in (20, 50):
        assert 88.5 <= accuracy[n_h] <= 92.5, n_h
    assert result.logistic["train_accuracy"] == pytest.approx(47.0, abs=1.0)


def test_sweep_table_lists_every_size_and_the_baseline(flower):
    X, Y = flower
    result = sweep.run(X, Y, hidden_units=[2, 3], iterations=50)
    lines = sweep.summary_table(result).splitlines()
    assert [line.split()[0] for line in lines[1:3]] == ["2", "3"] and lines[3].startswith("logistic regression")
    assert all(0 <= n.train_accuracy <= 100 for n in result.networks)
