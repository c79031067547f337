"""Reading learners' files as they are (checker.files) and finding the function in them (checker.load).

Nothing here starts a child process: the files are read, and their
definitions run in this process through checker.files.load_function.
"""

import ast
import sys

import nbformat
import pytest
from nbformat import v3, v4

from checker import files, load
from checker.files import FileProblem, Target, expand, prepared, read_source

BODY = "    return {'dW1': 1}\n"


def loaded(tmp_path, text, name=None, filename="hw.py"):
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")
    return files.load_function(path, name)


def notebook(tmp_path, *cells, kernel="python3"):
    nb = v4.new_notebook(
        cells=[
            v4.new_code_cell(cell) if not cell.startswith("#md ") else v4.new_markdown_cell(cell[4:]) for cell in cells
        ]
    )
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    path = tmp_path / "hw.ipynb"
    nbformat.write(nb, str(path))
    return path


# --- IPython lines -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "%matplotlib inline",
        "!pip install numpy",
        "np.dot?",
        "np.dot??",
        "?np.dot",
        "files = !ls",
        "t = %timeit -o f()",
        "%load_ext autoreload",
    ],
)
def test_ipython_lines_become_pass_and_keep_the_line_numbers(line):
    text = f"import numpy as np\n{line}\nx = 1\n"
    source, notes = prepared(text, "cell 1")
    assert source.split("\n")[1] == "pass" and source.count("\n") == text.count("\n")
    assert notes == []
    ast.parse(source)


def test_a_magic_inside_a_function_keeps_its_indentation():
    source, _ = prepared("def f():\n    %time x = 1\n    return 2\n", "cell 1")
    assert source.split("\n")[1] == "    pass"


def test_a_cell_that_parses_is_left_as_it_is():
    text = 'doc = """\n%not a magic, a line of a string\n!nor this\n"""\n'
    assert prepared(text, "cell 1") == (text, [])


@pytest.mark.parametrize(
    "magic, kept",
    [
        ("%%time", True),
        ("%%capture out", True),
        ("%%timeit -n 3", True),
        ("%%bash", False),
        ("%%writefile helper.py", False),
        ("%%html", False),
    ],
)
def test_cell_magics_keep_a_python_body_and_skip_the_others(magic, kept):
    source, notes = prepared(f"{magic}\ndef f(x):\n    return x\n", "cell 4")
    if kept:
        assert "def f(x):" in source and notes == []
    else:
        assert source is None
        assert notes == [f"cell 4: %%{magic[2:].split()[0]} cell, not Python (skipped)"]


def test_python2_print_statements_are_read_as_calls():
    source, notes = prepared('print "m =", m\nprint\nprint x,\nprint(y)\n', "cell 2")
    assert source.splitlines() == ['print("m =", m)', "print()", 'print(x, end=" ")', "print(y)"]
    assert notes == ["cell 2: Python 2 print statements read as print() calls"]


def test_a_cell_that_does_not_parse_is_skipped_with_its_error():
    source, notes = prepared("for i in range(3)\n    pass\n", "cell 3 (In [7])")
    assert source is None
    assert notes == ["cell 3 (In [7]) line 1: SyntaxError: expected ':': for i in range(3) (cell 3 (In [7]) skipped)"]


# --- files ---------------------------------------------------------------------------------


def test_a_notebook_gives_its_code_cells_only(tmp_path):
    path = notebook(
        tmp_path,
        "#md # Title",
        "import numpy as np",
        "x = (",
        "def backward_propagation(p, c, X, Y):\n" + BODY,
        kernel="python2",
    )
    source = read_source(path)
    assert [cell.where for cell in source.cells] == ["cell 2", "cell 4"]
    assert source.cells[1].filename == "hw.ipynb, cell 4"
    assert source.notes == ("cell 3 line 1: SyntaxError: '(' was never closed: x = ( (cell 3 skipped)",)
    assert source.skipped[0][:2] == ("cell 3", "x = (")


def test_a_script_that_does_not_parse_is_cut_into_blocks_that_keep_their_line_numbers(tmp_path):
    path = tmp_path / "hw.py"
    path.write_text(
        "import numpy as np\n\n\ndef broken(x)\n    return x\n\n\n@staticmethod\n"
        "def backward_propagation(p, c, X, Y):\n" + BODY
    )
    source = read_source(path)
    assert [cell.where for cell in source.cells] == ["lines 1-3", "lines 8-10"]
    assert source.notes == ("line 4: SyntaxError: expected ':': def broken(x) (lines 4-7 skipped)",)
    # The decorator stays with its def, and line 9 of the file is line 9 of the block.
    assert source.cells[1].source.split("\n")[8] == "def backward_propagation(p, c, X, Y):"


def test_a_utf8_bom_from_a_windows_editor_is_read(tmp_path):
    path = tmp_path / "hw.py"
    path.write_bytes("\ufeffdef backward_propagation(parameters, cache, X, Y):\n".encode("utf-8") + BODY.encode())
    fn, _ = files.load_function(path)
    assert fn.__name__ == "backward_propagation"


def test_a_format_4_notebook_is_read_without_nbformat(tmp_path, monkeypatch):
    path = notebook(tmp_path, "import numpy as np\n%matplotlib inline\nx = 1", "#md text", "y = 2")
    monkeypatch.setitem(sys.modules, "nbformat", None)  # importing it now fails (it costs 1.6 s: jsonschema)
    source = read_source(path)
    assert [cell.where for cell in source.cells] == ["cell 1", "cell 3"]
    assert source.cells[0].source.splitlines()[:2] == ["import numpy as np", "pass"]


def test_an_old_format_3_notebook_is_converted_by_nbformat(tmp_path):
    nb = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[v3.new_code_cell(input="x = 1", prompt_number=4)])])
    path = tmp_path / "old.ipynb"
    path.write_text(v3.writes_json(nb))
    source = read_source(path)
    assert [(cell.where, cell.source) for cell in source.cells] == [("cell 1 (In [4])", "x = 1")]


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b'{"cells": 3}',
        b"\xff\xfe\x00",
        b"[4]",
        b'{"nbformat": 4, "cells": 3}',
        b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 7}]}',
    ],
)
def test_a_notebook_that_is_not_one_is_a_file_problem(tmp_path, content):
    path = tmp_path / "hw.ipynb"
    path.write_bytes(content)
    with pytest.raises(FileProblem, match=r"cannot read .*hw\.ipynb as a notebook"):
        read_source(path)


def test_folders_globs_and_names_expand_to_targets(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "hw.ipynb").write_text("{}")
    (tmp_path / "bob.py").write_text("")
    (tmp_path / "notes.txt").write_text("")
    for hidden in (".ipynb_checkpoints", ".git"):
        (tmp_path / hidden).mkdir()
        (tmp_path / hidden / "old.py").write_text("")
    targets, many, errors = expand([str(tmp_path)])
    assert [target.path.relative_to(tmp_path).as_posix() for target in targets] == ["alice/hw.ipynb", "bob.py"]
    assert many and errors == []
    assert expand([f"{tmp_path / 'bob.py'}:backprop"]) == ([Target(tmp_path / "bob.py", "backprop")], False, [])
    targets, many, _ = expand([str(tmp_path / "*" / "*.ipynb")])
    assert [target.path.name for target in targets] == ["hw.ipynb"] and many
    assert expand([str(tmp_path / "none.py"), str(tmp_path / "*.R")])[2] == [
        f"no such file: {tmp_path / 'none.py'}",
        f"no .py or .ipynb files match {tmp_path / '*.R'}",
    ]


# --- what runs, and finding the function ------------------------------------------------------


def test_only_definitions_run_and_the_rest_is_recorded(tmp_path):
    namespace = {"__name__": load.NAMESPACE}
    cell = files.Cell(
        "",
        "hw.py",
        "import numpy as np\nX = np.ones(3)\nm = X.shape[1]\nSCALE = 2\n"
        "for i in range(3):\n    W = i\nif True:\n    def helper(): pass\n"
        "try:\n    import not_installed_here\nexcept ImportError:\n    pass\n"
        "get_ipython().run_line_magic('time', '')\n",
    )
    notes, skipped = load.run_definitions([cell], namespace)
    assert namespace["SCALE"] == 2 and "np" in namespace and "X" not in namespace
    assert [(entry.where, entry.names) for entry in skipped] == [
        ("line 2", ("X",)),
        ("line 3", ("m",)),
        ("line 5", ("i", "W")),
        ("line 7", ("helper",)),
    ]
    assert skipped[0].why.startswith("its value calls something (np.ones(3))")
    assert skipped[1].why == "running it raised NameError: name 'X' is not defined"
    assert skipped[3].why == "it is inside an if block, which the checker does not run"
    assert notes == []


def test_get_ipython_lines_inside_a_function_are_dropped(tmp_path):
    fn, _ = loaded(
        tmp_path,
        "def backward_propagation(parameters, cache, X, Y):\n"
        "    get_ipython().run_line_magic('debug', '')\n    x = get_ipython().getoutput('ls')\n" + BODY,
    )
    assert fn(1, 2, 3, 4) == {"dW1": 1}


def test_sys_exit_while_defining_is_skipped_with_a_note(tmp_path):
    with pytest.raises(
        load.NotFound,
        match=r"backward_propagation is defined at line 3, which the checker skipped: "
        r"defining it raised SystemExit: 0 \(sys.exit\(\) in a class body",
    ):
        loaded(tmp_path, "import sys\n\ndef backward_propagation(parameters, cache, X, Y, _=sys.exit(0)):\n" + BODY)
    _fn, notes = loaded(
        tmp_path, "import sys\nclass A:\n    sys.exit(3)\ndef backward_propagation(parameters, cache, X, Y):\n" + BODY
    )
    assert notes == [
        "line 2: defining A raised SystemExit: 3 (sys.exit() in a class body or a default argument?) (skipped)"
    ]


@pytest.mark.parametrize(
    "signature, order, note",
    [
        ("(parameters, cache, X, Y)", ("parameters", "cache", "X", "Y"), ""),
        (
            "(cache, X, Y, parameters)",
            ("cache", "X", "Y", "parameters"),
            "arguments bound by name: backward_propagation(cache, X, Y, parameters)",
        ),
        ("(Params, CACHE, x, y)", ("parameters", "cache", "X", "Y"), ""),
        (
            "(y, x, cache, param, learning_rate=1.2)",
            ("Y", "X", "cache", "parameters"),
            "arguments bound by name: backward_propagation(y, x, cache, param)",
        ),
        (
            "(p, c, a, b)",
            ("parameters", "cache", "X", "Y"),
            "backward_propagation(p, c, a, b): arguments passed in the course's order (parameters, cache, X, Y)",
        ),
        (
            "(X, Y, parameters)",
            ("X", "Y", "parameters"),
            "arguments bound by name: backward_propagation(X, Y, parameters)",
        ),
    ],
)
def test_arguments_are_bound_by_their_names(tmp_path, signature, order, note):
    fn, notes = loaded(tmp_path, f"def backward_propagation{signature}:\n" + BODY)
    form, bound, said = load.binding(fn, "backward_propagation")
    assert (bound, said) == (order, note)
    assert form == ("grads" if len(order) == 3 else "backward")
    assert notes == ([note] if note else [])


@pytest.mark.parametrize(
    "text, words",
    [
        ("def backward_propagation(a, b):\n" + BODY, r"backward_propagation takes 2 arguments \(a, b\); expected"),
        (
            "class Net:\n    def backward_propagation(self, parameters, cache, X, Y):\n" + "    " + BODY,
            r"backward_propagation is a method of class Net \(line 2\): the checker calls a plain function",
        ),
        (
            "class Net:\n    def backprop(self, params, cache, X, Y):\n" + "    " + BODY,
            r"backprop is a method of class Net",
        ),
        (
            "def a(parameters, cache, X, Y):\n" + BODY + "def b(cache, parameters, Y, X):\n" + BODY,
            r"several take the course's arguments \(a, b\): name one, FILE:NAME",
        ),
        (
            "from math import sqrt\ndef forward(X, parameters):\n" + BODY,
            r"no function takes the course's arguments \(parameters, cache, X, Y\); it defines forward$",
        ),
        (
            "if __name__ == '__main__':\n    def backward_propagation(parameters, cache, X, Y):\n    " + BODY,
            r"backward_propagation is defined at line 1, which the checker skipped: it is inside an if block",
        ),
    ],
)
def test_a_file_without_a_function_to_check_says_what_to_do(tmp_path, text, words):
    with pytest.raises(load.NotFound, match=words):
        loaded(tmp_path, text)


def test_the_one_function_with_the_courses_arguments_is_picked_and_said(tmp_path):
    fn, notes = loaded(
        tmp_path,
        "def forward(X, parameters):\n"
        + BODY
        + "def my_backprop(params, cache, X, Y):\n"
        + BODY
        + "def step(parameters, X, Y):\n"
        + BODY,
    )
    assert fn.__name__ == "my_backprop"
    assert notes == [
        "no function backward_propagation: checking my_backprop, the one function taking (parameters, cache, X, Y)"
    ]


def test_a_static_method_is_checked(tmp_path):
    fn, notes = loaded(
        tmp_path, "class Net:\n    @staticmethod\n    def backward_propagation(parameters, cache, X, Y):\n    " + BODY
    )
    assert notes == ["checking the static method Net.backward_propagation"] and fn(1, 2, 3, 4) == {"dW1": 1}


def test_a_module_level_m_read_by_the_functions_is_found(tmp_path):
    path = tmp_path / "hw.py"
    path.write_text(
        "m = 400\ndef helper(dZ):\n    return dZ / m\ndef backward_propagation(parameters, cache, X, Y):"
        "\n    return [helper(x) for x in (m, X)]\ndef clean(X):\n    m = X.shape[1]\n    return m\n"
    )
    source = read_source(path)
    namespace = {"__name__": load.NAMESPACE}
    load.run_definitions(source.cells, namespace)
    assert load.global_m(namespace, {str(path)}) == {"functions": ["helper", "backward_propagation"], "value": "400"}


HELPER_WITH_A_SLIP = """import numpy as np

def tanh_prime(A1)
    return 1 - np.power(A1, 2)

def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(W2.T, dZ2) * tanh_prime(A1)
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
"""


def test_a_helper_in_a_block_that_does_not_parse_is_named_as_skipped_not_as_undefined(tmp_path):
    # A learner's helper with a missing colon: the function that calls it fails on the name; the report must
    # say the file does define it, in the block the checker skipped, and why.
    from checker import check_file

    path = tmp_path / "hw.py"
    path.write_text(HELPER_WITH_A_SLIP)
    result = check_file(path)
    assert result.verdict == "FAIL"
    text = str(result.report)
    assert "tanh_prime is defined at lines 3-5, which the checker skipped: line 3: SyntaxError" in text, text
    assert "fix that line, and check again" in text
    assert "tanh_prime is not defined" not in text
