"""The checkers of the notebooks' "try this" exercises: each takes the learner's answer, returns a Verdict.

An answer left at ``None`` (as the committed notebooks leave it) is "not answered yet", so every notebook
still runs top to bottom; tests/test_notebooks.py runs each notebook's check cell with a right answer, a
wrong one and the placeholder. The notebooks import this module from the installed package
(``from shallownet.lessons.exercises import ...``), so they run wherever ``shallownet[notebooks]`` is
installed. A checker computes the truth itself, with the library, every time: nothing here is a typed-in
expected value except the exercise's own settings.
"""

import math
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import manual
from shallownet import data, logistic
from shallownet.train import Diverged, accuracy, init_params, train

NOT_ANSWERED, RIGHT, WRONG = "not answered", "right", "wrong"


@dataclass(frozen=True)
class Verdict:
    """What a checker says: ``status`` is "not answered", "right" or "wrong"; ``message`` says why."""

    status: str
    message: str

    @property
    def right(self):
        return self.status == RIGHT

    def __repr__(self):  # a check cell's last line shows the message itself
        return self.message


def _unanswered(*names):
    return Verdict(NOT_ANSWERED, f"not answered yet: set {' and '.join(names)} in the cell above, then run this cell")


def _right(text):
    return Verdict(RIGHT, "right: " + text)


def _wrong(text):
    return Verdict(WRONG, "not yet: " + text)


# 01 shapes ---------------------------------------------------------------------------------------------

SHAPES_NETWORK = {"n_x": 5, "n_h": 3, "n_y": 2, "m": 10}
SHAPE_NAMES = ("W1", "b1", "Z1", "W2", "b2", "A2", "dW1", "db2")


def true_shapes():
    """The shapes of SHAPE_NAMES, read off a forward and backward pass of the exercise's network."""
    n_x, n_h, n_y, m = (SHAPES_NETWORK[k] for k in ("n_x", "n_h", "n_y", "m"))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_x, m))
    Y = rng.integers(0, 2, (n_y, m)).astype(np.float64)
    params = manual.init_params(jax.random.key(0), n_x, n_h, n_y, scale=1.0, dtype=jnp.float64)
    _, cache = manual.forward(params, X)
    arrays = {**params, **cache, **manual.backward(params, cache, X, Y)}
    return {name: tuple(arrays[name].shape) for name in SHAPE_NAMES}


def check_shapes(answer):
    """01: ``answer`` maps each of SHAPE_NAMES to a shape tuple for the network SHAPES_NETWORK."""
    if answer is None:
        return _unanswered("my_shapes")
    if not isinstance(answer, dict):
        return _wrong("my_shapes should be a dict such as {'W1': (3, 5), ...}")
    truth = true_shapes()
    missing = [k for k in SHAPE_NAMES if k not in answer]
    if missing:
        return _wrong(f"my_shapes has no entry for {', '.join(missing)}")
    not_shapes = [k for k in SHAPE_NAMES if not isinstance(answer[k], (tuple, list))]
    if not_shapes:
        # a bare number is the usual slip for a column vector: b2 is (1, 1), not 1
        return _wrong(f"{', '.join(f'{k} = {answer[k]!r}' for k in not_shapes)}: a shape is a tuple, e.g. (3, 1)")
    wrong = [k for k in SHAPE_NAMES if tuple(answer[k]) != truth[k]]
    if wrong:
        return _wrong(
            f"{', '.join(f'{k} is not {tuple(answer[k])}' for k in wrong)}. "
            "W[l] is (units of layer l, units of layer l-1); Z, A are (units, m); dV has V's shape"
        )
    return _right(f"all {len(SHAPE_NAMES)} shapes, read off a real forward and backward pass: {truth}")


# 02 activations ----------------------------------------------------------------------------------------


def softplus(z):
    """g(z) = log(1 + e^z), a smooth ReLU."""
    return jnp.logaddexp(0.0, z)


def check_softplus_prime(g_prime):
    """02: ``g_prime(z, a)`` with a = softplus(z) must equal jax.grad(softplus) on z in [-6, 6]."""
    if g_prime is None:
        return _unanswered("my_softplus_prime")
    if not callable(g_prime):
        return _wrong("my_softplus_prime should be a function of (z, a)")
    z = jnp.linspace(-6.0, 6.0, 101)
    truth = jax.vmap(jax.grad(softplus))(z)
    try:
        yours = jnp.asarray(g_prime(z, softplus(z)), jnp.float64)
    except Exception as e:  # the learner's code: report whatever it raised
        return _wrong(f"my_softplus_prime(z, a) raised {type(e).__name__}: {e}")
    if yours.shape != z.shape:
        return _wrong(f"my_softplus_prime returned shape {yours.shape} for z of shape {z.shape}")
    worst = float(jnp.max(jnp.abs(yours - truth)))
    if not worst < 1e-10:
        i = int(jnp.argmax(jnp.abs(yours - truth)))
        return _wrong(
            f"at z = {float(z[i]):.2f} yours is {float(yours[i]):.4f}, jax.grad says {float(truth[i]):.4f} "
            "(hint: differentiate log(1 + e^z) and simplify)"
        )
    return _right(
        f"equal to jax.grad(softplus) at {z.size} points (max |difference| {worst:.1e}): "
        "softplus' = sigmoid, between 0 and 1 like ReLU's g', but smooth at 0"
    )


# 03 why 1/m --------------------------------------------------------------------------------------------

SUMS_M, SUMS_ITERATIONS, SUMS_GOAL = 2000, 300, 0.30


def check_learning_rate_without_one_over_m(alpha):
    """03: a learning rate ``alpha`` for gradient descent on the *summed* gradients (no 1/m) at m = 2000.

    It works when the cost falls at every one of 300 steps and ends below 0.30 (the 1/m run with lr 1.2
    ends at about 0.24). Trained as ``train(..., lr=alpha * m)``: the notebook proves that a step of
    alpha on the sums is a step of alpha * m on the average.
    """
    if alpha is None:
        return _unanswered("my_alpha")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not math.isfinite(alpha) or alpha <= 0:
        return _wrong(f"a learning rate is a positive number, got {alpha!r}")
    X, Y = data.flower(m=SUMS_M)
    start = manual.init_params(jax.random.key(0), 2, 4, 1, scale=0.01, dtype=jnp.float64)
    try:
        _, costs = train(start, X, Y.astype(np.float64), lr=alpha * SUMS_M, iterations=SUMS_ITERATIONS)
    except Diverged as e:
        return _wrong(f"with alpha = {alpha:g} the cost became infinite at iteration {e.iteration}: far too large")
    rises = np.flatnonzero(np.diff(costs) > 0)
    if rises.size:
        return _wrong(
            f"with alpha = {alpha:g} the cost rose at {rises.size} of {SUMS_ITERATIONS} steps (first at "
            f"iteration {rises[0] + 1}, up to {costs.max():.3f}): the step is too large"
        )
    if costs[-1] >= SUMS_GOAL:
        return _wrong(
            f"with alpha = {alpha:g} the cost is still {costs[-1]:.3f} after {SUMS_ITERATIONS} steps "
            f"(goal: below {SUMS_GOAL}): the step is too small"
        )
    return _right(
        f"alpha = {alpha:g}: the cost falls at every step to {costs[-1]:.3f}. On the average that is "
        f"a learning rate of alpha * m = {alpha * SUMS_M:g}; at m = 20,000 the same alpha would be "
        f"{alpha * 20000:g}: without 1/m, the learning rate must shrink as the data grows"
    )


# 04 initialization -------------------------------------------------------------------------------------


def constant_init(value, n_x=2, n_h=4, n_y=1):
    """Every weight equal to ``value``, biases zero (float64)."""
    return {
        "W1": np.full((n_h, n_x), value),
        "b1": np.zeros((n_h, 1)),
        "W2": np.full((n_y, n_h), value),
        "b2": np.zeros((n_y, 1)),
    }


def distinct_units(params, decimals=9):
    """How many different hidden units: distinct rows of [W1 | b1 | W2^T], rounded."""
    rows = np.concatenate([np.asarray(params["W1"]), np.asarray(params["b1"]), np.asarray(params["W2"]).T], axis=1)
    return len({tuple(row) for row in np.round(rows, decimals)})


def check_constant_init(answer):
    """04: how many different hidden units are left after 2,000 steps from every weight = 0.5?"""
    if answer is None:
        return _unanswered("my_distinct_units")
    if isinstance(answer, bool) or not isinstance(answer, (int, np.integer)) or not 1 <= answer <= 4:
        return _wrong(f"the answer is a whole number of hidden units between 1 and 4, got {answer!r}")
    X, Y = data.flower()
    Y = Y.astype(np.float64)
    params, _ = train(constant_init(0.5), X, Y, lr=1.2, iterations=2000)
    truth = distinct_units(params)
    if answer != truth:
        return _wrong(
            f"{answer} is not what training gives; run it: train(constant_init(0.5), X, Y, lr=1.2, "
            "iterations=2000), then compare the rows of W1"
        )
    return _right(
        f"{truth} distinct unit(s), accuracy {accuracy(params, X, Y):.2f}%. Equal weights, nonzero or not, "
        "give every unit the same inputs and the same gradient: only a random W breaks the symmetry"
    )


# 05 planar data ----------------------------------------------------------------------------------------

HELD_OUT: dict[str, Any] = {"test_fraction": 0.25, "seed": 0, "n_h": 4, "iterations": 5000, "lr": 1.2}


def held_out_accuracy(name):
    """(network test accuracy, logistic-regression test accuracy) on data set ``name``, per HELD_OUT."""
    X, Y = data.extra(name)
    Y = Y.astype(np.float64)
    X_train, Y_train, X_test, Y_test = data.split(X, Y, HELD_OUT["test_fraction"], HELD_OUT["seed"])
    start = init_params(2, HELD_OUT["n_h"], 1, seed=HELD_OUT["seed"])
    params, _ = train(start, X_train, Y_train, lr=HELD_OUT["lr"], iterations=HELD_OUT["iterations"])
    return accuracy(params, X_test, Y_test), logistic.accuracy(logistic.fit(X_train, Y_train), X_test, Y_test)


def check_held_out_accuracy(dataset, test_accuracy):
    """05: the n_h = 4 network's accuracy (%) on the held-out 25% of one of the course's extra data sets."""
    if dataset is None or test_accuracy is None:
        return _unanswered("my_dataset", "my_test_accuracy")
    if dataset not in data.EXTRA_DATASETS:
        return _wrong(f"my_dataset should be one of {', '.join(data.EXTRA_DATASETS)}, got {dataset!r}")
    net, log_reg = held_out_accuracy(dataset)
    if not abs(float(test_accuracy) - net) <= 0.5:
        return _wrong(
            f"{test_accuracy}% is not the held-out accuracy on {dataset}: split with "
            f"data.split(X, Y, 0.25, seed=0), train on the first part only, score the second"
        )
    verdict = "better than" if net > log_reg else "no better than"
    return _right(
        f"{net:.1f}% on the {dataset} examples the network never saw; {verdict} logistic regression "
        f"({log_reg:.1f}%) on the same split"
    )


# 06 check your backprop --------------------------------------------------------------------------------


def check_planted_slip(backward_propagation, predicted_wrong):
    """06: a backward pass with a slip of your own, and the set of gradients you predict the checker flags."""
    if backward_propagation is None or predicted_wrong is None:
        return _unanswered("my_backward_propagation_with_a_slip", "my_predicted_wrong")
    from checker import check_backprop

    report = check_backprop(backward_propagation)
    if report.passed:
        return _wrong(
            "your function passes the checker: it has no slip yet. Plant one (drop a 1/m, "
            "swap A1 for Z1, sum over the wrong axis, ...)"
        )
    flagged = set(report.failing)
    predicted = set(predicted_wrong)
    if predicted != flagged:
        return _wrong(
            f"the checker flags {sorted(flagged)}, you predicted {sorted(predicted)}. It says: {report.headline}"
        )
    return _right(f"the checker flags exactly {sorted(flagged)}, as you predicted. It says: {report.headline}")


GRADIENT_NAMES = ("dW1", "db1", "dW2", "db2")


def blank_gradients(backward_propagation):
    """The gradients a scaffold still returns as None, from one call on a small problem (3 hidden units, m = 5).

    None when the call raises or returns something other than a dict: the checker reports those itself.
    """
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 5))
    Y = rng.integers(0, 2, (1, 5)).astype(np.float64)
    params = {k: np.asarray(v) for k, v in init_params(2, 3, 1, seed=0).items()}
    _, cache = manual.forward(params, X)
    try:
        grads = backward_propagation(params, {k: np.asarray(v) for k, v in cache.items()}, X, Y)
    except Exception:  # the learner's code: the checker shows what it raised, with the line
        return None
    if not isinstance(grads, dict):
        return None
    return [name for name in GRADIENT_NAMES if grads.get(name) is None]


def check_backward_formulas(backward_propagation):
    """06: the learner's six formulas in numpy, judged by the checker, which names the mistake when there is one.

    The scaffold returns None for every gradient: "not answered yet". Some left None: "not yet", naming them.
    Otherwise the checker's verdict: right, or its headline (the likeliest mistake), with its full report printed.
    """
    if backward_propagation is None:
        return _unanswered("my_backward_propagation")
    if not callable(backward_propagation):
        return _wrong("my_backward_propagation should be a function of (parameters, cache, X, Y)")
    blanks = blank_gradients(backward_propagation)
    if blanks is not None and len(blanks) == len(GRADIENT_NAMES):
        return Verdict(
            NOT_ANSWERED, "not answered yet: write the six formulas (dZ2 ... db1) in the cell above, then run this cell"
        )
    if blanks:
        return _wrong(f"{', '.join(blanks)} still None: write {'its' if len(blanks) == 1 else 'their'} formula too")
    from checker import check_backprop

    report = check_backprop(backward_propagation)
    if report.passed:
        return _right(
            "the checker finds all four gradients equal to jax.grad of the cost and to finite differences, "
            "on five problems with weights of scale 1: you derived the week's backprop"
        )
    print(report)  # the table and every diagnosis, above the one-line verdict
    return _wrong(report.headline)
