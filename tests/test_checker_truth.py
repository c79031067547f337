"""The truth of a fresh draw costs one compiled program per problem, and that program's results are the witness's.

Every ``shallownet check`` draws fresh shapes, so every distinct program the truth runs is compiled afresh:
step by step (jvp, sigmoid, value_and_grad, finite differences, op-by-op scores) that was ~30 compilations per
check. The truth now runs as one program per problem, compiled at XLA's backend optimisation level 0
(reference.problem_costs.TRUTH_COMPILER_OPTIONS); the witness's own functions, compiled as usual, must agree
with it to rounding.
"""

import numpy as np
import pytest

import reference
from checker import assignments, problems
from checker.assignments import WEEK3
from reference import problem_costs

FRESH_SEED = 20261207  # a seed no other test draws: its problems are not in make_problem's cache


def _relative(got, want):
    """max |got - want| over max |want|: one array's difference, judged against its size."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype == np.float64
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


def _forget_compiled_programs():
    """Other tests may have drawn the same shapes (week 2's are small): start from no compiled truth program.

    Only the two truth programs forget; jax.clear_caches() would make every later test compile its own
    programs again."""
    problems._forward_and_truth.clear_cache()
    problem_costs.problem_truth.clear_cache()
    problems.make_problem.cache_clear()
    assignments.instances.cache_clear()


def test_a_fresh_week3_draw_compiles_one_program_per_problem(backend_compiles):
    _forget_compiled_programs()
    backend_compiles.clear()
    cases = problems.draw_cases(FRESH_SEED)
    for case in cases:
        problems.make_problem(case)
    # Shapes another test already compiled are not compiled again: at most one program per problem.
    assert set(backend_compiles) <= {"jit(_forward_and_truth)"}
    assert 0 < len(backend_compiles) <= len(cases)


@pytest.mark.parametrize("name", ["cs231n", "week2"])
def test_a_fresh_assignment_draw_compiles_one_program_per_draw(backend_compiles, name):
    _forget_compiled_programs()
    backend_compiles.clear()
    drawn = assignments.instances(assignments.PROBLEMS[name], FRESH_SEED)
    assert set(backend_compiles) <= {"jit(problem_truth)"}
    assert 0 < len(backend_compiles) <= len(drawn)


def test_week3_truth_matches_the_witness_compiled_as_usual():
    # The documented problems hold every kind a draw holds: n_y = 3, the probe, the realistic size.
    for case in problems.DEFAULT_CASES:
        problem = problems.make_problem(case)
        _, grads = problem_costs.problem_value_and_grads(problem.params, problem.X, problem.Y, **WEEK3.description())
        fd = reference.finite_difference_grads(problem.params, problem.X, problem.Y, eps=problems.FD_EPS)
        for key, value in grads.items():
            assert _relative(problem.truth["d" + key], value) <= 1e-14, (case, key)
            # Central differences divide J's rounding (~1e-16, J of order 1) by 2 eps (2e-6): ~1e-10 apart.
            assert np.max(np.abs(problem.fd["d" + key] - np.asarray(fd["d" + key]))) <= 1e-9, (case, key)
        assert _relative(problem.cache["A1"], np.tanh(problem.cache["Z1"])) <= 1e-15
        assert _relative(problem.cache["Z2"], problem.W2 @ problem.A1 + problem.b2) <= 1e-15


def test_cs231n_truth_matches_the_witness_compiled_as_usual():
    problem = assignments.CS231N
    for instance in assignments.instances(problem):
        params, X, y, reg = (instance.inputs[k] for k in ("params", "X", "y", "reg"))
        loss, grads = problem_costs.problem_value_and_grads(params, X, y, reg, **problem.description())
        scores = problem_costs.problem_scores(params, X, layout="rows", hidden="relu")
        assert _relative(instance.truth["loss"], loss) <= 1e-15
        assert _relative(instance.truth["scores"], scores) <= 1e-15
        for key, value in grads.items():
            assert _relative(instance.truth[key], value) <= 1e-14, (instance.draw, key)
