"""The teaching notebooks: in step with their sources, lessons in form, and their exercises judge answers.

Every notebook proves its claims with ``assert`` cells. They run top to bottom in a fresh kernel once, from the
built wheel outside the repository: tests/test_notebooks_from_wheel.py, .ci/run's lessons step (the plain test run
skips it). The committed ``.ipynb`` files are generated from ``notebooks/src/*.py`` (jupytext's percent format) by
``notebooks/build.py`` and carry their outputs (the plots GitHub shows); the tests here check they are in step with
their sources, that each is a lesson (lecture sections named, a "try this" exercise, a Chinese summary), and that
each exercise's check cell accepts a right answer, rejects a wrong one and waits for a missing one.
"""

import ast
import importlib.util
import re
import textwrap
from pathlib import Path

import jupytext
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = (
    "01_shapes_and_vectorization",
    "02_activation_functions",
    "03_why_one_over_m",
    "04_random_initialization",
    "05_planar_data",
    "06_check_your_backprop",
)
WITH_PLOTS = set(NAMES) - {"01_shapes_and_vectorization"}


def _load_build():
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()


def _committed(name):
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def _source(name):
    return NOTEBOOKS / "src" / f"{name}.py"


@pytest.mark.parametrize("name", NAMES)
def test_first_code_cell_turns_on_float64(name):
    # The kernel is a fresh process (conftest does not reach it): the notebook itself verifies in float64.
    first = next(cell for cell in _committed(name).cells if cell.cell_type == "code")
    assert 'jax.config.update("jax_enable_x64", True)' in first.source


def test_every_notebook_source_is_listed_and_is_plain_python():
    paths = build.source_paths()
    assert tuple(path.stem for path in paths) == NAMES
    for path in paths:
        compile(path.read_text(encoding="utf-8"), str(path), "exec")  # no IPython magics: editors and linters read it


@pytest.mark.parametrize("name", NAMES)
def test_source_is_what_jupytext_writes(name):
    # A source in jupytext's own form round-trips unchanged, so syncing a paired notebook makes no churn.
    text = _source(name).read_text(encoding="utf-8")
    assert jupytext.writes(jupytext.reads(text, fmt=build.FORMAT), fmt=build.FORMAT) == text


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_matches_its_source_and_has_outputs(name):
    committed = _committed(name)
    generated = build.notebook_from_source(_source(name))
    assert [(cell.cell_type, cell.source) for cell in committed.cells] == [
        (cell.cell_type, cell.source) for cell in generated.cells
    ], f"notebooks/{name}.ipynb is out of date: run python notebooks/build.py {name[:2]}"
    code = [cell for cell in committed.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code), "committed without running every cell"
    outputs = [output for cell in code for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    if name in WITH_PLOTS:
        assert any("image/png" in o.get("data", {}) for o in outputs), "no plot in the committed outputs"


# --- every notebook is a lesson -------------------------------------------------------------------------


def _markdown(nb):
    return [cell.source for cell in nb.cells if cell.cell_type == "markdown"]


@pytest.mark.parametrize("name", NAMES)
def test_notebook_names_the_lecture_sections_it_follows(name):
    first = _markdown(_committed(name))[0]
    sections = re.search(r"\*\*Lecture sections?:\*\*(.*)", first)
    assert sections and re.search(r"1\.\d+", sections.group(1)), "the first cell names no lecture section (1.x)"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_ends_with_a_chinese_summary(name):
    summaries = [text for text in _markdown(_committed(name)) if re.search(r"^## .*(小结|答)", text, re.M)]
    assert summaries, "no 小结 / 答 section"
    assert len(re.findall(r"[\u4e00-\u9fff]", summaries[-1])) > 40, "the summary is not written in Chinese"


CHECK_IMPORT = re.compile(r"^from shallownet\.lessons\.exercises import (check_\w+)$", re.M)


def _exercises(nb):
    """{checker name: (the answer cell, the check cell)} for the notebook's "Try this" exercises."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    found = {}
    for i, cell in enumerate(code):
        match = CHECK_IMPORT.search(cell.source)
        if match:
            found[match.group(1)] = (code[i - 1], cell)
    assert found, "no exercise check cell (from shallownet.lessons.exercises import check_...)"
    return found


@pytest.mark.parametrize("name", NAMES)
def test_committed_exercise_waits_for_an_answer(name):
    nb = _committed(name)
    assert any(text.startswith("## Try this") or "\n## Try this" in text for text in _markdown(nb))
    for answer, check in _exercises(nb).values():
        # the answer starts at None: a variable, or each formula of a scaffold
        assert re.search(r"^\s*\w+ = None\b", answer.source, re.M), "the answer cell should start the answer at None"
        shown = "".join(o.get("data", {}).get("text/plain", "") + o.get("text", "") for o in check.outputs)
        assert shown.startswith("not answered yet"), shown


def run_cell(source, namespace):
    """Run a cell as IPython does: its statements, then the value of a last bare expression (or None)."""
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<cell>", "exec"), namespace)
    return eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace) if last else None


# What learners type into the answer cells: right answers, and wrong ones of the kinds learners give.
def _scaffold_filled(
    dZ1="np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))",
    dW1="(1 / m) * np.dot(dZ1, X.T)",
    db1="(1 / m) * np.sum(dZ1, axis=1, keepdims=True)",
    name="my_backward_propagation",
):
    """06's scaffold as a learner fills it in (the course's style), with one formula replaced where asked."""
    return textwrap.dedent(f"""
        def {name}(parameters, cache, X, Y):
            m = X.shape[1]
            W1, W2 = parameters["W1"], parameters["W2"]
            A1, A2 = cache["A1"], cache["A2"]
            Z1 = cache["Z1"]
            dZ2 = A2 - Y
            dW2 = (1 / m) * np.dot(dZ2, A1.T)
            db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
            dZ1 = {dZ1}
            dW1 = {dW1}
            db1 = {db1}
            return {{"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}}
    """)


SCAFFOLD_06 = "import numpy as np\n" + "\n".join(
    [
        _scaffold_filled(name="right_formulas"),
        _scaffold_filled(dW1="np.dot(dZ1, X.T)", name="dW1_without_1_over_m"),
        _scaffold_filled(dZ1="np.dot(W2.T, dZ2) * (1 - np.power(Z1, 2))", name="tanh_prime_of_Z1"),
        _scaffold_filled(db1="(1 / m) * np.sum(dZ1, axis=0, keepdims=True)", name="db1_summed_over_axis_0"),
        _scaffold_filled(db1="None", name="db1_left_empty"),
    ]
)
LEARNER_06 = textwrap.dedent("""
    import numpy as np

    def backward_without_1_over_m_on_dW2(parameters, cache, X, Y):
        m = X.shape[1]
        A1, A2 = cache["A1"], cache["A2"]
        dZ2 = A2 - Y
        dW2 = np.dot(dZ2, A1.T)                       # the planted slip: no 1/m
        db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
        dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - np.power(A1, 2))
        dW1 = (1 / m) * np.dot(dZ1, X.T)
        db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
        return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}

    def backward_without_a_slip(parameters, cache, X, Y):
        grads = backward_without_1_over_m_on_dW2(parameters, cache, X, Y)
        return {**grads, "dW2": grads["dW2"] / X.shape[1]}
""")
LEARNER_02 = textwrap.dedent("""
    import jax.numpy as jnp

    def softplus_prime_from_a(z, a):       # sigma(z) = 1 - exp(-softplus(z))
        return 1 - jnp.exp(-a)

    def softplus_prime_sign_slip(z, a):    # 1 / (1 + e^z) is sigma(-z)
        return 1 / (1 + jnp.exp(z))

    def softplus_prime_raises(z, a):
        return z.nonexistent
""")
RIGHT_SHAPES = {
    "W1": (3, 5),
    "b1": (3, 1),
    "Z1": (3, 10),
    "W2": (2, 3),
    "b2": (2, 1),
    "A2": (2, 10),
    "dW1": (3, 5),
    "db2": (2, 1),
}
# name -> (learner code, [(answers, expected status), ...])
EXERCISES = {
    "01_shapes_and_vectorization": (
        "",
        [
            ({"my_shapes": RIGHT_SHAPES}, "right"),
            ({"my_shapes": {k: list(v) for k, v in RIGHT_SHAPES.items()}}, "right"),  # lists are fine too
            ({"my_shapes": {**RIGHT_SHAPES, "W2": (3, 2)}}, "wrong"),  # W2 transposed
            ({"my_shapes": {**RIGHT_SHAPES, "db2": (2,)}}, "wrong"),  # no keepdims
            ({"my_shapes": {k: v for k, v in RIGHT_SHAPES.items() if k != "A2"}}, "wrong"),  # one missing
            ({"my_shapes": {**RIGHT_SHAPES, "db2": 2}}, "wrong"),  # a number where a shape belongs
        ],
    ),
    "02_activation_functions": (
        LEARNER_02,
        [
            ({"my_softplus_prime": "softplus_prime_from_a"}, "right"),
            ({"my_softplus_prime": "manual.sigmoid"}, "wrong"),  # sigmoid(z) but called as g'(z, a) -> 2 args
            ({"my_softplus_prime": "lambda z, a: manual.sigmoid(z)"}, "right"),
            ({"my_softplus_prime": "softplus_prime_sign_slip"}, "wrong"),
            ({"my_softplus_prime": "softplus_prime_raises"}, "wrong"),
            ({"my_softplus_prime": "0.5"}, "wrong"),
        ],
    ),
    "03_why_one_over_m": (
        "",
        [
            ({"my_alpha": 6e-4}, "right"),  # 1.2 / 2000: the 1/m run's learning rate, divided by m
            ({"my_alpha": 1e-3}, "right"),
            ({"my_alpha": 0.01}, "wrong"),  # the notebook's alpha: effective lr 20, the cost jumps
            ({"my_alpha": 1e-5}, "wrong"),  # effective lr 0.02: crawls
            ({"my_alpha": 1.2}, "wrong"),  # the 1/m learning rate kept: effective 2400, diverges
            ({"my_alpha": -0.001}, "wrong"),
            ({"my_alpha": "'0.0006'"}, "wrong"),  # a string, not a number
        ],
    ),
    "04_random_initialization": (
        "",
        [
            ({"my_distinct_units": 1}, "right"),
            ({"my_distinct_units": 4}, "wrong"),
            ({"my_distinct_units": 0}, "wrong"),
            ({"my_distinct_units": True}, "wrong"),
        ],
    ),
    "05_planar_data": (
        "",
        [
            ({"my_dataset": "'noisy_moons'", "my_test_accuracy": 98.0}, "right"),  # n_h = 4, seed 0, 5,000 steps
            ({"my_dataset": "'noisy_moons'", "my_test_accuracy": 99.33}, "wrong"),  # its training accuracy instead
            ({"my_dataset": "'flower'", "my_test_accuracy": 84.0}, "wrong"),  # not one of the extra sets
            ({"my_dataset": "'noisy_moons'", "my_test_accuracy": None}, "not answered"),
        ],
    ),
    "06_check_your_backprop": (
        LEARNER_06,
        [
            (
                {
                    "my_backward_propagation_with_a_slip": "backward_without_1_over_m_on_dW2",
                    "my_predicted_wrong": {"dW2"},
                },
                "right",
            ),
            (
                {
                    "my_backward_propagation_with_a_slip": "backward_without_1_over_m_on_dW2",
                    "my_predicted_wrong": ["dW2"],
                },
                "right",
            ),
            (
                {
                    "my_backward_propagation_with_a_slip": "backward_without_1_over_m_on_dW2",
                    "my_predicted_wrong": {"dW1"},
                },
                "wrong",
            ),
            ({"my_backward_propagation_with_a_slip": "backward_without_a_slip", "my_predicted_wrong": set()}, "wrong"),
        ],
    ),
}
# 06's "write the six formulas": (the learner's function, the verdict, words the verdict must contain). The words
# are the mistake, named loosely: the checker's messages are its own to reword.
BACKPROP_06 = [
    ("right_formulas", "right", ()),
    ("dW1_without_1_over_m", "wrong", ("dW1", "1/m")),
    ("tanh_prime_of_Z1", "wrong", ("Z1",)),
    ("db1_summed_over_axis_0", "wrong", ("db1", "axis")),
    ("db1_left_empty", "wrong", ("db1", "None")),
    (None, "not answered", ()),  # the scaffold as committed: every formula still None
]


def _answer_value(value, namespace):
    """Answers given as source text (a name or an expression) are evaluated as the learner's cell would."""
    return eval(value, namespace) if isinstance(value, str) else value


@pytest.mark.parametrize(
    "name, answers, status",
    [(name, answers, status) for name, (_, cases) in EXERCISES.items() for answers, status in cases],
)
def test_exercise_check_cell_judges_the_answer(name, answers, status):
    [(answer_cell, check_cell)] = [
        cells for cells in _exercises(_committed(name)).values() if all(k in cells[0].source for k in answers)
    ]
    import manual  # what a learner's cell may refer to

    namespace = {"manual": manual}
    run_cell(EXERCISES[name][0], namespace)
    run_cell(answer_cell.source, namespace)  # the placeholders ...
    namespace.update({k: _answer_value(v, namespace) for k, v in answers.items()})  # ... then the answers
    verdict = run_cell(check_cell.source, namespace)
    assert verdict.status == status, repr(verdict)
    assert repr(verdict).startswith(
        {"right": "right: ", "wrong": "not yet: ", "not answered": "not answered yet"}[status]
    )


@pytest.mark.parametrize("name", NAMES)
def test_exercise_check_cell_waits_for_the_placeholder(name):
    for answer_cell, check_cell in _exercises(_committed(name)).values():
        namespace = {}
        run_cell(answer_cell.source, namespace)
        assert run_cell(check_cell.source, namespace).status == "not answered"


@pytest.mark.parametrize("learner, status, named", BACKPROP_06, ids=[case[0] or "scaffold" for case in BACKPROP_06])
def test_learner_written_backprop_is_judged_by_the_checker(learner, status, named, capsys):
    answer_cell, check_cell = _exercises(_committed("06_check_your_backprop"))["check_backward_formulas"]
    namespace = {}
    run_cell(SCAFFOLD_06, namespace)
    run_cell(answer_cell.source, namespace)  # the scaffold, every formula None ...
    if learner:
        namespace["my_backward_propagation"] = namespace[learner]  # ... or the learner's filled-in version
    verdict = run_cell(check_cell.source, namespace)
    assert verdict.status == status, repr(verdict)
    for word in named:
        assert word in verdict.message, (word, verdict.message)
    if status == "wrong" and learner != "db1_left_empty":
        assert "FAIL" in capsys.readouterr().out  # the checker's whole report is printed above the verdict


def test_every_notebook_has_its_exercise_cases():
    assert set(EXERCISES) == set(NAMES)
    for _, cases in EXERCISES.values():
        assert {"right", "wrong"} <= {status for _, status in cases}
