"""The README's Python examples run as written and print what the README shows."""

import contextlib
import io
import re
from pathlib import Path

README = (Path(__file__).parent.parent / "README.md").read_text()
# Each ```python block with the plain ``` block right after it (its printed output), if any.
EXAMPLES = re.findall(r"```python\n(.*?)```\n\n```\n(.*?)```", README, re.S)


def printed_by(code):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    return out.getvalue()


def example(word):
    [(code, shown)] = [(example_code, output) for example_code, output in EXAMPLES if word in example_code]
    return code, shown


def test_course_api_example_prints_the_courses_costs():
    code, shown = example("nn_model(")
    assert printed_by(code) == shown


def test_three_witnesses_example_prints_the_readme_shapes_and_agreement():
    code, shown = example("finite_difference_grads")
    printed = printed_by(code).splitlines()
    assert [line.split(" vs ")[0] for line in printed] == [line.split(" vs ")[0] for line in shown.splitlines()]
    for line in printed:
        autodiff, differences = (float(x) for x in re.findall(r"(\d\.\de[-+]\d+)", line))
        assert autodiff < 1e-14 and differences < 1e-7, line
