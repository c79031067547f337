"""Stand-ins for the course's helper modules, for files that import them without them beside the file.

The course's notebooks import pure functions from ``planar_utils`` (``sigmoid``), and test helpers from
``testCases*`` and ``public_tests``. Those files come with the course, not with the learner's submission:
without them the import fails and a function using ``sigmoid`` reads as "neither defines nor imports it".
A stand-in, written here (no course code is copied), gives the pure functions; any other name it is asked
for is a function that raises, naming the module as the reason.
"""

import re

# Module-name pattern -> the stand-in's pure functions (Python source).
PURE = {
    "planar_utils": '''
def sigmoid(x):
    """1 / (1 + exp(-x)), element by element."""
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)
''',
    "testCases": "",
    "public_tests": "",
    "test_utils": "",
}
PATTERN = re.compile(r"^(planar_utils|testCases\w*|public_tests|test_utils)$")

TEMPLATE = '''"""A stand-in for the course's {name} (written by the checker, which does not have the course's file)."""
import numpy as np
{pure}

def __getattr__(attribute):
    if attribute.startswith("__"):
        raise AttributeError(attribute)

    def missing(*args, **kwargs):
        raise RuntimeError(
            f"{{attribute}} comes from the course's {name}, which is not beside your file; the checker's "
            "stand-in for it holds only pure helpers ({names})"
        )

    return missing
'''


def standin(name):
    """The stand-in module's source for ``name``, or None when it is not one of the course's helper modules."""
    match = PATTERN.match(name)
    if not match:
        return None
    key = "testCases" if name.startswith("testCases") else name
    pure = PURE.get(key, "")
    names = ", ".join(re.findall(r"^def (\w+)", pure, re.MULTILINE)) or "none"
    return TEMPLATE.format(name=name, pure=pure, names=names)
