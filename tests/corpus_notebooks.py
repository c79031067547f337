"""Writes the notebooks of the checker's corpus (tests/corpus/*.ipynb) with nbformat.

Learner-style notebooks, written for the checker's tests (no learner's real
work is copied): magics mid-cell, a Python 2 kernel, a class method, a cell
that does not parse, a function with another name. Run it to rebuild them:

    python tests/corpus_notebooks.py

tests/test_checker_corpus.py checks that the committed files are what this writes.
"""

from pathlib import Path

import nbformat
from nbformat import v4

CORPUS = Path(__file__).parent / "corpus"

RIGHT_BODY = """    m = X.shape[1]
    W2 = parameters["W2"]
    A1 = cache["A1"]
    A2 = cache["A2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2, A1.T)
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = (1 / m) * np.dot(dZ1, X.T)
    db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""


def _notebook(cells, kernel="python3", language_version="3.11.4"):
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": f"Python {kernel[-1]}", "language": "python"}
    nb.metadata["language_info"] = {"name": "python", "version": language_version}
    count = 0
    for kind, text in cells:
        if kind == "md":
            nb.cells.append(v4.new_markdown_cell(text))
        else:
            count += 1
            nb.cells.append(v4.new_code_cell(text, execution_count=count))
    # Stable ids: the committed files do not change from one build to the next.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


NOTEBOOKS = {
    "02_magics_mid_cell.ipynb": _notebook(
        [
            ("md", "# Planar data classification with one hidden layer"),
            (
                "code",
                "import numpy as np\n%matplotlib inline\nimport matplotlib.pyplot as plt\n"
                "!pip install --quiet scikit-learn\nnp.random.seed(1)",
            ),
            ("code", "np.dot?\nX = np.random.randn(2, 400)\n%timeit np.dot(X.T, X)"),
            ("md", "## Backward propagation"),
            ("code", "%%time\ndef backward_propagation(parameters, cache, X, Y):\n" + RIGHT_BODY),
            ("code", "files = !ls\n%load_ext autoreload\n%autoreload 2\nprint(files)"),
            ("code", "%%bash\necho this cell is not Python\nls -l"),
        ]
    ),
    "03_python2_kernel.ipynb": _notebook(
        [
            ("code", 'import numpy as np\nprint "numpy", np.__version__'),
            (
                "code",
                "def backward_propagation(parameters, cache, X, Y):\n"
                "    m = X.shape[1]\n"
                '    print "m =", m\n' + RIGHT_BODY.split("\n", 1)[1],
            ),
            (
                "code",
                "grads = backward_propagation(parameters, cache, X_assess, Y_assess)\n"
                'print "dW1 = " + str(grads["dW1"])',
            ),
        ],
        kernel="python2",
        language_version="2.7.18",
    ),
    "08_class_method.ipynb": _notebook(
        [
            ("code", "import numpy as np"),
            ("md", "I wrote the network as a class."),
            (
                "code",
                "class TwoLayerNet:\n"
                "    def __init__(self, n_x, n_h, n_y):\n"
                "        self.sizes = (n_x, n_h, n_y)\n\n"
                "    def backward_propagation(self, parameters, cache, X, Y):\n"
                + "\n".join("    " + line if line else line for line in RIGHT_BODY.split("\n")),
            ),
            ("code", "net = TwoLayerNet(2, 4, 1)"),
        ]
    ),
    "20_bad_cell.ipynb": _notebook(
        [
            ("code", "import numpy as np"),
            ("code", "def backward_propagation(parameters, cache, X, Y):\n" + RIGHT_BODY),
            ("code", "for i in range(10000)\n    parameters = update_parameters(parameters, grads)"),
            ("code", 'print("done")'),
        ]
    ),
    "36_renamed_function.ipynb": _notebook(
        [
            ("code", "import numpy as np"),
            ("code", "def forward(X, params):\n    A1 = np.tanh(params['W1'] @ X + params['b1'])\n    return A1"),
            ("code", "def backprop(params, cache, X, Y):\n" + RIGHT_BODY.replace('parameters["W2"]', 'params["W2"]')),
        ]
    ),
}


def build(folder=CORPUS):
    """Write every notebook into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, nb in NOTEBOOKS.items():
        nbformat.validate(nb)
        path = folder / name
        path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in build():
        print(written)
