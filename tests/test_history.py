"""The bounded cost history: every stride-th iteration and the last, the stride set by the count alone."""

import numpy as np
import pytest

from shallownet.history import CostHistory


def fed(total, limit, chunks):
    """A history fed costs J(i) = i / 1000 of iterations 0..total-1, in chunks of the given sizes (cycled)."""
    history = CostHistory(limit)
    done, k = 0, 0
    while done < total:
        n = min(chunks[k % len(chunks)], total - done)
        history.extend(done, np.arange(done, done + n) / 1000.0)
        done, k = done + n, k + 1
    return history


@pytest.mark.parametrize(
    "total, limit, stride", [(10, 16, 1), (16, 16, 1), (17, 16, 2), (1000, 16, 64), (2_000_000, 2048, 1024)]
)
def test_the_stride_is_the_smallest_power_of_two_keeping_at_most_limit_points(total, limit, stride):
    history = fed(total, limit, [997])
    iterations, costs = history.arrays()
    assert history.stride == stride and history.done == total
    assert len(iterations) <= limit + 1
    np.testing.assert_array_equal(iterations[:-1] % stride, 0)
    assert iterations[0] == 0 and iterations[-1] == total - 1  # the first and the last are kept
    np.testing.assert_array_equal(costs, iterations / 1000.0)


@pytest.mark.parametrize("chunks", [[1], [7], [1000], [3, 50, 1, 999]])
def test_how_the_costs_arrive_does_not_change_what_is_kept(chunks):
    a, b = fed(5000, 100, chunks).arrays(), fed(5000, 100, [5000]).arrays()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("cut", [1, 63, 64, 65, 1234, 4999])
def test_a_history_restored_at_any_iteration_goes_on_as_if_uninterrupted(cut):
    whole = fed(5000, 100, [250])
    first = fed(cut, 100, [250])
    restored = CostHistory.restore(*first.arrays(), first.stride, first.done, limit=100)
    restored.extend(cut, np.arange(cut, 5000) / 1000.0)
    for x, y in zip(restored.arrays(), whole.arrays()):
        np.testing.assert_array_equal(x, y)
    assert restored.stride == whole.stride


def test_without_a_limit_every_cost_is_kept_in_its_dtype():
    history = CostHistory(start=10, dtype=np.float32)
    assert history.costs.dtype == np.float32 and history.costs.shape == (0,)
    history.extend(10, np.arange(5, dtype=np.float32))
    iterations, costs = history.arrays()
    np.testing.assert_array_equal(iterations, np.arange(10, 15))
    assert costs.dtype == np.float32 and history.last_cost == 4.0


@pytest.mark.parametrize(
    "iterations, stride, done, message",
    [
        ([0, 2, 4], 3, 5, "power of two"),
        ([0, 2, 3], 2, 5, r"0, 2, 4, \.\.\. below 5, then 4"),
        ([0, 2, 4], 2, 6, "below 6, then 5"),
        ([1, 2], 1, 3, "0, 1, 2"),
    ],
)
def test_restore_refuses_what_no_run_keeps(iterations, stride, done, message):
    with pytest.raises(ValueError, match=message):
        CostHistory.restore(np.array(iterations), np.zeros(len(iterations)), stride, done)


def test_extending_from_the_wrong_iteration_is_refused():
    history = fed(10, None, [10])
    with pytest.raises(ValueError, match="history ends at 10"):
        history.extend(12, np.zeros(3))
