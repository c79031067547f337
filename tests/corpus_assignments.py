"""Writes tests/corpus_cs231n/ and tests/corpus_week2/: learner-style files of both assignments, each right
one and each listed mistake (run once: ``python tests/corpus_assignments.py``; the files are committed).
The right files (01_right_full.py, 01_right.py) and the Python 2 helper folder are written by hand; the
others are derived from them here.

Written for these tests in the styles learners write (Python 2 and 3, notebooks with magics, helper
modules beside the file, np.matrix, lists); no learner's real work is copied. A mistake is made by
changing the right file's lines, so each file holds that one mistake and nothing else.
"""

from pathlib import Path

import nbformat

HERE = Path(__file__).parent
CS231N, WEEK2 = HERE / "corpus_cs231n", HERE / "corpus_week2"
RIGHT_CS231N = (CS231N / "01_right_full.py").read_text()

CS231N_EDITS = {
    "02_other_year_half.py": [
        ("loss += reg * (np.sum(W1 * W1)", "loss += 0.5 * reg * (np.sum(W1 * W1)"),
        ("+ 2 * reg * W2", "+ reg * W2"),
        ("+ 2 * reg * W1", "+ reg * W1"),
    ],
    "04_reg_gradient_factor.py": [("+ 2 * reg * W2", "+ reg * W2"), ("+ 2 * reg * W1", "+ reg * W1")],
    "05_reg_gradient_missing.py": [("+ 2 * reg * W2", ""), ("+ 2 * reg * W1", "")],
    "06_biases_regularised.py": [
        ("np.sum(W2 * W2))", "np.sum(W2 * W2) + np.sum(b1 * b1) + np.sum(b2 * b2))"),
        ("grads['b2'] = np.sum(dscores, axis=0)", "grads['b2'] = np.sum(dscores, axis=0) + 2 * reg * b2"),
        ("grads['b1'] = np.sum(dhidden, axis=0)", "grads['b1'] = np.sum(dhidden, axis=0) + 2 * reg * b1"),
    ],
    "07_bias_from_weight_grads.py": [
        ("grads['b2'] = np.sum(dscores, axis=0)", "grads['b2'] = np.sum(grads['W2'], axis=0)"),
        ("grads['b1'] = np.sum(dhidden, axis=0)", "grads['b1'] = np.sum(grads['W1'], axis=0)"),
    ],
    "08_bias_keepdims.py": [
        ("np.sum(dscores, axis=0)", "np.sum(dscores, axis=0, keepdims=True)"),
        ("np.sum(dhidden, axis=0)", "np.sum(dhidden, axis=0, keepdims=True)"),
    ],
    "09_relu_mask_missing.py": [("        dhidden[hidden <= 0] = 0\n", "")],
    "10_relu_by_clipping.py": [("dhidden[hidden <= 0] = 0", "dhidden = np.maximum(dhidden, 0)")],
    "11_dW2_before_relu.py": [
        ("hidden = np.maximum(0, X.dot(W1) + b1)", "h1 = X.dot(W1) + b1\n        hidden = np.maximum(0, h1)"),
        ("grads['W2'] = hidden.T.dot(dscores)", "grads['W2'] = h1.T.dot(dscores)"),
    ],
    "12_db1_without_1_over_N.py": [
        ("        dscores /= N\n", ""),
        ("hidden.T.dot(dscores) +", "hidden.T.dot(dscores) / N +"),
        ("np.sum(dscores, axis=0)", "np.sum(dscores, axis=0) / N"),
        ("X.T.dot(dhidden) +", "X.T.dot(dhidden) / N +"),
    ],
    "13_class_count_from_labels.py": [
        (
            "        dscores = probs.copy()\n        dscores[np.arange(N), y] -= 1\n",
            "        num_classes = len(set(y))\n        onehot = np.zeros((N, num_classes))\n"
            "        onehot[np.arange(N), y] = 1\n        dscores = probs - onehot\n",
        )
    ],
    "14_class_count_hard_coded.py": [
        (
            "        dscores = probs.copy()\n        dscores[np.arange(N), y] -= 1\n",
            "        onehot = np.zeros((N, 10))\n        onehot[np.arange(N), y] = 1\n        dscores = probs - onehot\n",
        )
    ],
    "21_no_regularisation.py": [
        ("        loss += reg * (np.sum(W1 * W1) + np.sum(W2 * W2))\n", ""),
        ("+ 2 * reg * W2", ""),
        ("+ 2 * reg * W1", ""),
    ],
    "19_lists_returned.py": [
        ("        return loss, grads\n", "        return float(loss), {k: v.tolist() for k, v in grads.items()}\n")
    ],
}

PYTHON2_CS231N = (
    RIGHT_CS231N.replace("from __future__ import print_function\n\n", "")
    .replace("import matplotlib.pyplot as plt\n", "import matplotlib.pyplot as plt\nfrom past.builtins import xrange\n")
    .replace(
        "for it in range(num_iters):",
        "for it in xrange(num_iters):\n            if verbose and it % 100 == 0:\n                print 'iteration %d / %d' % (it, num_iters)",
    )
    .replace("        if y is None:\n", "        print 'scores shape', scores.shape\n        if y is None:\n")
)

HELPER_NET = (
    RIGHT_CS231N.replace("import matplotlib.pyplot as plt\n", "from layer_utils import relu_forward, softmax_probs\n")
    .replace("hidden = np.maximum(0, X.dot(W1) + b1)", "hidden = relu_forward(X.dot(W1) + b1)")
    .replace(
        "        shifted = scores - np.max(scores, axis=1, keepdims=True)\n"
        "        exp_scores = np.exp(shifted)\n"
        "        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)\n",
        "        probs = softmax_probs(scores)\n",
    )
)
HELPER_MODULE = """import numpy as np


def relu_forward(x):
    return np.maximum(0, x)


def softmax_probs(scores):
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=1, keepdims=True)
"""

MATRIX_NET = (
    RIGHT_CS231N.replace(
        "        shifted = scores - np.max(scores, axis=1, keepdims=True)\n"
        "        exp_scores = np.exp(shifted)\n"
        "        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)\n",
        "        exp_scores = np.exp(scores - scores.max(axis=1))\n        probs = exp_scores / exp_scores.sum(axis=1)\n",
    )
    .replace(
        "        hidden = np.maximum(0, X.dot(W1) + b1)\n        scores = hidden.dot(W2) + b2\n",
        "        X = np.matrix(X)\n        hidden = np.maximum(0, X * np.matrix(W1) + b1)\n        scores = hidden * np.matrix(W2) + b2\n",
    )
    .replace("grads['W2'] = hidden.T.dot(dscores)", "grads['W2'] = hidden.T * dscores")
    .replace("dhidden = dscores.dot(W2.T)", "dhidden = dscores * np.matrix(W2).T")
    .replace("grads['W1'] = X.T.dot(dhidden)", "grads['W1'] = X.T * dhidden")
    .replace("probs[np.arange(N), y]", "np.asarray(probs)[np.arange(N), y]")
    .replace(
        "dscores = probs.copy()\n        dscores[np.arange(N), y] -= 1",
        "dscores = np.asarray(probs).copy()\n        dscores[np.arange(N), y] -= 1\n        dscores = np.matrix(dscores)",
    )
    .replace("dhidden[hidden <= 0] = 0", "dhidden = np.multiply(dhidden, hidden > 0)")
)

SELF_METHODS = RIGHT_CS231N.replace(
    "        shifted = scores - np.max(scores, axis=1, keepdims=True)\n"
    "        exp_scores = np.exp(shifted)\n"
    "        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)\n",
    "        probs = self._softmax(scores)\n",
).replace(
    "    def train(",
    "    def _softmax(self, scores):\n        e = np.exp(scores - scores.max(axis=1, keepdims=True))\n"
    "        return e / e.sum(axis=1, keepdims=True)\n\n    def train(",
)


# The verdict a careful teacher gives each file, the row of checker.mistakes.TABLE that must name
# its mistake (None: right, or not a file of the problem), and words its one-line message must contain.
EXPECTED = {
    "corpus_cs231n": {
        "01_right_full.py": ("PASS", None, "all 6 results are right"),
        "02_other_year_half.py": (
            "FAIL",
            "other convention",
            "you follow the other year's regularisation convention consistently",
        ),
        "03_python2_right.py": ("PASS", None, "all 6 results are right"),
        "04_reg_gradient_factor.py": ("FAIL", "reg gradient factor", "the reg gradient is the other year's"),
        "05_reg_gradient_missing.py": ("FAIL", "reg gradient missing", "W1, W2: the reg gradient is missing"),
        "06_biases_regularised.py": ("FAIL", "biases regularised", "b1, b2, loss: biases regularised"),
        "07_bias_from_weight_grads.py": ("FAIL", "bias from weight gradient", "b1, b2: bias gradients summed from"),
        "08_bias_keepdims.py": ("FAIL", "bias keepdims", "b1, b2: biases' gradients of shape (1, n)"),
        "09_relu_mask_missing.py": ("FAIL", "relu mask missing", "W1, b1: the ReLU mask is missing"),
        "10_relu_by_clipping.py": ("FAIL", "relu by clipping", "W1, b1: the ReLU mask applied by clipping"),
        "11_dW2_before_relu.py": ("FAIL", "dW2 pre-ReLU", "W2: dW2 from the pre-ReLU activations"),
        "12_db1_without_1_over_N.py": ("FAIL", "db1 without 1/N", "b1: db1 without 1/N"),
        "13_class_count_from_labels.py": ("FAIL", "class count from labels", "the class count taken from the labels"),
        "14_class_count_hard_coded.py": ("FAIL", "class count hard-coded", "the class count hard-coded (10)"),
        "15_notebook_python2.ipynb": ("PASS", None, "all 6 results are right"),
        "16_notebook_relu_mask_missing.ipynb": ("FAIL", "relu mask missing", "the ReLU mask is missing"),
        "18_np_matrix.py": ("PASS", None, "all 6 results are right"),
        "19_lists_returned.py": ("PASS", None, "all 6 results are right"),
        "20_calls_self_methods.py": ("PASS", None, "all 6 results are right"),
        "21_no_regularisation.py": ("FAIL", "no regularisation", "W1, W2, loss: no regularisation at all"),
        "with_helpers/17_helper_module.py": ("PASS", None, "all 6 results are right"),
        "with_helpers/layer_utils.py": ("FAIL", None, "defines no class with a loss method"),
        "with_python2_helper/22_python2_helper.py": ("PASS", None, "all 6 results are right"),
        "with_python2_helper/softmax.py": ("FAIL", None, "defines no class with a loss method"),
    },
    "corpus_week2": {
        "01_right.py": ("PASS", None, "all 3 results are right"),
        "02_python2.py": ("PASS", None, "all 3 results are right"),
        "03_dw_without_1_over_m.py": ("FAIL", "dw without 1/m", "dw: dw without 1/m"),
        "04_db_without_1_over_m.py": ("FAIL", "db without 1/m", "db: db without 1/m"),
        "05_cost_sign.py": ("FAIL", "cost sign", "cost: the cost's sign is flipped"),
        "06_cost_not_reduced.py": ("FAIL", "cost not scalar", "shape (1, 1) where () belongs"),
        "07_db_shape.py": ("FAIL", "db shape", "db: db of shape (1, 1) where a scalar belongs"),
        "08_three_values.py": ("FAIL", "three values returned", "yours returned 3"),
        "09_assert_copied_wrong.py": (
            "FAIL",
            "assert copied wrong",
            "where your dw, db, cost are right: the assert is copied wrong",
        ),
        "10_notebook.ipynb": ("PASS", None, "all 3 results are right"),
        "12_cost_per_example.py": ("FAIL", "cost not scalar", "the cost is not reduced to a scalar"),
        "13_notebook_python2_cost_sign.ipynb": ("FAIL", "cost sign", "the cost's sign is flipped"),
        "14_db_shape_one.py": ("FAIL", "db shape", "db: db of shape (1,) where a scalar belongs"),
        "with_helpers/11_helper_sigmod.py": ("PASS", None, "all 3 results are right"),
        "with_helpers/sigmod.py": ("FAIL", None, "defines no function propagate"),
    },
}


def notebook(cells, python2=False):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Two-layer network / logistic regression")] + [
        nbformat.v4.new_code_cell(text) for text in cells
    ]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"  # fixed ids: the files come out the same on every run
    kernel = "python2" if python2 else "python3"
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": f"Python {kernel[-1]}", "language": "python"}
    return nbformat.writes(nb)


def split_class(text):
    """The cells a notebook holds: imports and magic, the class, a cell that runs it."""
    head, _, body = text.partition("class TwoLayerNet")
    return ["%matplotlib inline\n%load_ext autoreload\n%autoreload 2\n" + head.strip(), "class TwoLayerNet" + body]


RUN_CELL = "net = TwoLayerNet(4, 10, 3)\nX = np.random.randn(5, 4)\ny = np.array([0, 1, 2, 2, 1])\nloss, _ = net.loss(X, y, reg=0.05)\nprint 'loss', loss"

RIGHT_WEEK2 = (WEEK2 / "01_right.py").read_text()
WEEK2_EDITS = {
    "03_dw_without_1_over_m.py": [("dw = 1 / m * np.dot(X, (A - Y).T)", "dw = np.dot(X, (A - Y).T)")],
    "04_db_without_1_over_m.py": [("db = 1 / m * np.sum(A - Y)", "db = np.sum(A - Y)")],
    "05_cost_sign.py": [("cost = -1 / m * np.sum(", "cost = 1 / m * np.sum(")],
    "06_cost_not_reduced.py": [
        (
            "cost = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))",
            "cost = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A), axis=1, keepdims=True)",
        ),
        ("    cost = np.squeeze(cost)\n    assert cost.shape == ()\n", ""),
    ],
    "07_db_shape.py": [("db = 1 / m * np.sum(A - Y)", "db = 1 / m * np.sum(A - Y, axis=1, keepdims=True)")],
    "08_three_values.py": [("    return grads, cost\n", "    return grads, cost, A\n")],
    "14_db_shape_one.py": [("db = 1 / m * np.sum(A - Y)", "db = 1 / m * np.sum(A - Y, axis=1)")],
    "09_assert_copied_wrong.py": [("assert dw.shape == w.shape", "assert dw.shape == X.shape")],
    "12_cost_per_example.py": [
        (
            "cost = -1 / m * np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))",
            "cost = -(Y * np.log(A) + (1 - Y) * np.log(1 - A))",
        ),
        ("    cost = np.squeeze(cost)\n    assert cost.shape == ()\n", ""),
    ],
}
PYTHON2_WEEK2 = (
    RIGHT_WEEK2.replace("import numpy as np\n", "import numpy as np\nfrom lr_utils import load_dataset\n").replace(
        "    A = sigmoid(np.dot(w.T, X) + b)\n",
        "    A = sigmoid(np.dot(w.T, X) + b)\n    for i in xrange(0):\n        print 'never'\n",
    )
    + "\nprint \"dw = \" + str(propagate(np.ones((2, 1)), 2., np.ones((2, 3)), np.ones((1, 3)))[0]['dw'])\n"
)
SIGMOD_HELPER = "import numpy as np\n\n\ndef sigmod(z):\n    return 1. / (1. + np.exp(-z))\n"
SIGMOD_FILE = RIGHT_WEEK2.replace("import numpy as np\n", "import numpy as np\nfrom sigmod import sigmod\n").replace(
    "A = sigmoid(np.dot(w.T, X) + b)", "A = sigmod(np.dot(w.T, X) + b)"
)


def edited(text, edits):
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text


def write_all():
    for name, edits in CS231N_EDITS.items():
        (CS231N / name).write_text(edited(RIGHT_CS231N, edits))
    (CS231N / "03_python2_right.py").write_text(PYTHON2_CS231N)
    (CS231N / "15_notebook_python2.ipynb").write_text(notebook(split_class(PYTHON2_CS231N) + [RUN_CELL], python2=True))
    keepdims = edited(RIGHT_CS231N, CS231N_EDITS["09_relu_mask_missing.py"])
    (CS231N / "16_notebook_relu_mask_missing.ipynb").write_text(notebook(split_class(keepdims) + [RUN_CELL]))
    (CS231N / "with_helpers").mkdir(exist_ok=True)
    (CS231N / "with_helpers" / "17_helper_module.py").write_text(HELPER_NET)
    (CS231N / "with_helpers" / "layer_utils.py").write_text(HELPER_MODULE)
    (CS231N / "18_np_matrix.py").write_text(MATRIX_NET)
    (CS231N / "20_calls_self_methods.py").write_text(SELF_METHODS)
    for name, edits in WEEK2_EDITS.items():
        (WEEK2 / name).write_text(edited(RIGHT_WEEK2, edits))
    (WEEK2 / "02_python2.py").write_text(PYTHON2_WEEK2)
    cells = ["%matplotlib inline\nimport numpy as np\nfrom lr_utils import load_dataset"] + [
        "def " + part for part in RIGHT_WEEK2.split("\ndef ")[1:]
    ]
    (WEEK2 / "10_notebook.ipynb").write_text(
        notebook(cells + ["train_set_x_orig, train_set_y, test_set_x_orig, test_set_y, classes = load_dataset()"])
    )
    (WEEK2 / "with_helpers").mkdir(exist_ok=True)
    (WEEK2 / "with_helpers" / "11_helper_sigmod.py").write_text(SIGMOD_FILE)
    (WEEK2 / "with_helpers" / "sigmod.py").write_text(SIGMOD_HELPER)
    notebook_wrong = edited(RIGHT_WEEK2, WEEK2_EDITS["05_cost_sign.py"])
    (WEEK2 / "13_notebook_python2_cost_sign.ipynb").write_text(
        notebook(
            ["%matplotlib inline\nimport numpy as np"]
            + ["def " + p for p in notebook_wrong.split("\ndef ")[1:]]
            + ["print propagate"],
            python2=True,
        )
    )


if __name__ == "__main__":
    write_all()
