"""The reader on the misses of issue 16's second set of learners' files (cases written here, in their styles).

Each case is a whole file, checked as a teacher would (``check_file``, in its sandbox): the verdict and the
words of its message or notes.
"""

import sys

import pytest

from checker import check_file
from checker.files import Target
from checker.run import Limits

QUICK = Limits(timeout=5, load_seconds=20)
BODY = """    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - cache["A1"] ** 2)
    return {"dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": np.dot(dZ2, cache["A1"].T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}
"""
HERE = f"{sys.version_info.major}.{sys.version_info.minor}"

CASES = {
    # A continuation line starting with % is not a magic: the cell holding the import stays.
    "percent_continuation.py": (
        "import numpy as np\n%matplotlib inline\nshown = ('cost after %i iterations: %f'\n"
        "         % (10, float(0.5)))\n\ndef backward_propagation(parameters, cache, X, Y):\n" + BODY,
        "PASS",
        "all four gradients are right",
    ),
    # sigmoid from the course's planar_utils, which is not beside the file: a stand-in gives it.
    "planar_utils_sigmoid.py": (
        "import numpy as np\nfrom planar_utils import plot_decision_boundary, sigmoid, load_planar_dataset\n\n"
        "def backward_propagation(parameters, cache, X, Y):\n"
        "    cache = dict(cache, A2=sigmoid(parameters['W2'] @ cache['A1'] + parameters['b2']))\n" + BODY,
        "PASS",
        "planar_utils is not beside the file: the checker's stand-in",
    ),
    # A cell indented two spaces, as pasted out of a function: IPython runs it; so does the checker.
    "indented_cell.py": (
        "  import numpy as np\n\n  def backward_propagation(parameters, cache, X, Y):\n"
        + "".join("  " + line + "\n" for line in BODY.splitlines()),
        "PASS",
        "indented cell read dedented, as IPython runs it",
    ),
    # Python 3.12 syntax, checked on an older Python: both versions named.
    "newer_fstring.py": (
        "import numpy as np\n\ndef backward_propagation(parameters, cache, X, Y):\n"
        + BODY.replace("    return", '    print(f"{cache["A1"].shape}")\n    return'),
        "FAIL",
        f"is Python 3.12 syntax; the checker runs Python {HERE}",
    ),
    # A learner's signature, named on the command line: the learner's problem (FAIL), not a usage error.
    "five_arguments.py": (
        "import numpy as np\n\ndef backward_propagation(cache, parameters, X, Y, activation):\n" + BODY,
        "FAIL",
        "takes 5 arguments",
    ),
    # The course's template with its block never filled: said so, not just "dW1 is not defined".
    "template_left_empty.py": (
        "import numpy as np\n\ndef backward_propagation(parameters, cache, X, Y):\n    m = X.shape[1]\n"
        "    ### START CODE HERE ### (≈ 6 lines of code)\n\n    ### END CODE HERE ###\n"
        '    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}\n',
        "FAIL",
        "this block was left empty: lines 5-7",
    ),
    # No sum at all: db2 = dZ2 / m.
    "db2_without_sum.py": (
        "import numpy as np\n\ndef backward_propagation(parameters, cache, X, Y):\n"
        + BODY.replace("np.sum(dZ2, axis=1, keepdims=True) / m}", "dZ2 / m}"),
        "FAIL",
        "the sum over the examples is missing",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_reader_gets_the_learners_file_right(tmp_path, name):
    text, verdict, words = CASES[name]
    if name == "newer_fstring.py" and sys.version_info >= (3, 12):
        pytest.skip("the checker's Python reads 3.12 syntax")
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = check_file(Target(path, "backward_propagation"), limits=QUICK)
    assert result.verdict == verdict, result.text()
    assert not result.named_nothing  # single-file mode: a FAIL, exit 1, never a usage error
    assert words in result.message + " | " + " | ".join(result.notes), result.text()
