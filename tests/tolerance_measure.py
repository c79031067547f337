"""Measures the verdict's figure (error/scale, checker.judge) on every corpus: right formulas and finite differences.

For each corpus, the smallest and largest error/scale any right formula shows (the files a careful teacher
passes, on the fixed problems and on drawn ones), and the smallest any finite-difference answer shows (central
differences of the learner's own cost, at the step that agrees best). The one tolerance lies between.
Run ``python tests/tolerance_measure.py`` to print the table (tests/test_checker_tolerance.py asserts it).
"""

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

SEEDS = (None, 7, 2024)
STEPS = (1e-4, 1e-5, 1e-6, 1e-7)  # a finite-difference answer's best step is its smallest error


def _central(f, value, eps):
    """Central differences of f() over every entry of ``value`` (changed in place, then restored)."""
    grad = np.zeros_like(value)
    for index in np.ndindex(value.shape):
        saved = value[index]
        value[index] = saved + eps
        plus = f()
        value[index] = saved - eps
        minus = f()
        value[index] = saved
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def week3_fd(eps):
    """backward_propagation by central differences of the course's cost (tanh, sigmoid)."""

    def backward_propagation(parameters, cache, X, Y):
        def cost():
            A1 = np.tanh(parameters["W1"] @ X + parameters["b1"])
            A2 = 1 / (1 + np.exp(-(parameters["W2"] @ A1 + parameters["b2"])))
            return -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / X.shape[1]

        return {"d" + name: _central(cost, value, eps) for name, value in parameters.items()}

    return backward_propagation


def cs231n_fd(eps):
    """A TwoLayerNet whose grads are cs231n's own eval_numerical_gradient idea: central differences of its loss."""

    class TwoLayerNet:
        def __init__(self, input_size, hidden_size, output_size):
            self.params = {}

        def scores_and_loss(self, X, y, reg):
            p = self.params
            hidden = np.maximum(0, X @ p["W1"] + p["b1"])
            scores = hidden @ p["W2"] + p["b2"]
            if y is None:
                return scores, None
            shifted = scores - scores.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss = -log_probs[np.arange(len(y)), y].mean() + reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
            return scores, loss

        def loss(self, X, y=None, reg=0.0):
            scores, loss = self.scores_and_loss(X, y, reg)
            if y is None:
                return scores
            grads = {k: _central(lambda: self.scores_and_loss(X, y, reg)[1], v, eps) for k, v in self.params.items()}
            return loss, grads

    return TwoLayerNet


def week2_fd(eps):
    """propagate by central differences of its own cost."""

    def propagate(w, b, X, Y):
        b_box = np.array([b])

        def cost():
            A = 1 / (1 + np.exp(-(w.T @ X + b_box[0])))
            return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))

        dw, db = _central(cost, w, eps), _central(cost, b_box, eps)[0]
        return {"dw": dw, "db": float(db)}, np.float64(cost())

    return propagate


def _week3_errors(fn, seeds=SEEDS):
    from checker import check_backprop, check_grads

    check = check_grads if len(__import__("inspect").signature(fn).parameters) == 3 else check_backprop
    errors = []
    for seed in seeds:
        report = check(fn, seed=seed)
        errors += [row.error for row in report.rows]
    return errors


def _assignment_errors(obj, problem, seeds=SEEDS, gradients_only=False):
    """Every result's error/scale; ``gradients_only``: the gradients' (a finite-difference answer computes its
    loss and scores exactly)."""
    from checker.assignment_run import check_in_process
    from checker.assignments import PROBLEMS

    keys = PROBLEMS[problem].gradient_keys if isinstance(problem, str) else problem.gradient_keys
    errors = []
    for seed in seeds:
        report = check_in_process(obj, problem, seed=seed)
        errors += [
            row.error for row in report.rows if row.error is not None and (row.name in keys or not gradients_only)
        ]
    return errors


def week3_right_files():
    """The week-3 files a careful teacher passes: tests/corpus (its PASS files), the hostile class's right ones, the
    course fixture."""
    from test_checker_corpus import CORPUS

    corpus = [HERE / "corpus" / name for name, (verdict, _) in CORPUS.items() if verdict == "PASS"]
    hostile = [HERE / "corpus_hostile" / name for name in ("victim.py", "zz_also_right.py")]
    return {
        "tests/corpus": corpus,
        "tests/corpus_hostile": hostile,
        "tests/fixtures": [HERE / "fixtures/course_backprop.py"],
    }


def _week3_function(path):
    from checker import load_function

    try:
        return load_function(str(path))[0]
    except Exception:  # a file the in-process loader reads otherwise (a static method, the grads form): skipped
        return None


def measure():
    """{corpus: (files, right min, right max, finite differences min)}: error/scale figures."""
    from checker.assignment_run import load_in_process
    from checker.assignments import PROBLEMS
    from corpus_assignments import EXPECTED

    figures = {}
    fd3 = min(min(_week3_errors(week3_fd(eps))) for eps in STEPS)
    for corpus, paths in week3_right_files().items():
        functions = [fn for fn in map(_week3_function, paths) if fn is not None]
        errors = [e for fn in functions for e in _week3_errors(fn)]
        figures[corpus] = (len(functions), min(errors), max(errors), fd3)
    fd_of = {
        name: min(min(_assignment_errors(answer(eps), name, gradients_only=True)) for eps in STEPS)
        for name, answer in (("cs231n", cs231n_fd), ("week2", week2_fd))
    }
    for folder, table in EXPECTED.items():
        problem = PROBLEMS[folder.removeprefix("corpus_")]
        right = [
            load_in_process(str(HERE / folder / name), problem) for name, (v, _, _) in table.items() if v == "PASS"
        ]
        errors = [e for obj in right for e in _assignment_errors(obj, problem)]
        figures[f"tests/{folder}"] = (len(right), min(errors), max(errors), fd_of[problem.name])
    return figures


if __name__ == "__main__":
    import jax

    jax.config.update("jax_enable_x64", True)
    for corpus, (count, low, high, fd) in measure().items():
        print(f"{corpus:24} {count:3} right files: error/scale {low:.1e} .. {high:.1e}; finite differences >= {fd:.1e}")
