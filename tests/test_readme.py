"""The README and the docs pages say what the code does.

- Every ```python block followed by a plain ``` block (its printed output) runs as written and prints
  that output.
- The README holds exactly the two set-up commands, and .ci/run runs the second.
- Every `shallownet ...` command shown in a ```bash block uses only flags its subcommand has, spelled out
  (argparse would accept `--hidden` for `--hidden-units`; a page should not), and parses.
- Every relative link resolves to a file of the repository (and a #fragment to a heading of it).
"""

import contextlib
import io
import itertools
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^\s*```(\w*)\s*$")

SETUP_COMMANDS = [
    "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/shallownet train --data flower --out runs/flower",
    "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest -n 2 --dist worksteal",
]
# Linked pages allowed to be missing (none: every link is checked).
PENDING_LINKS: set[str] = set()


def name(page):
    return page.relative_to(ROOT).as_posix()


def blocks(text):
    """Fenced blocks in order: (language, content, line number of the opening fence)."""
    found, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent = len(lines[i]) - len(lines[i].lstrip())
        j = i + 1
        while j < len(lines) and not (FENCE.match(lines[j]) and FENCE.match(lines[j]).group(1) == ""):
            j += 1
        body = "".join(line[indent:] + "\n" for line in lines[i + 1 : j])
        found.append((opening.group(1), body, i + 1, j + 1))
        i = j + 1
    return found


def examples(page):
    """(code, shown output, line) for each python block whose next block, after blank lines only, is plain."""
    text = page.read_text()
    lines = text.splitlines()
    found = blocks(text)
    pairs = []
    for (lang, code, line, end), (next_lang, shown, next_line, _) in itertools.pairwise(found):
        between = lines[end : next_line - 1]
        if lang == "python" and next_lang == "" and not any(s.strip() for s in between):
            pairs.append((code, shown, line))
    return pairs


EXAMPLES = [(page, code, shown, line) for page in PAGES for code, shown, line in examples(page)]


def printed_by(code, where):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, where, "exec"), {})
    return out.getvalue()


def example(word):
    [found] = [(code, shown) for _, code, shown, _ in EXAMPLES if word in code]
    return found


def test_every_example_with_an_output_is_tested():
    """Each example with an output block is one of those below: a new one needs its test here."""
    covered = ("nn_model(", "finite_difference_grads", "check_backprop(backward_propagation)")
    for page, code, _, line in EXAMPLES:
        assert sum(word in code for word in covered) == 1, f"{name(page)}:{line}: an example with no test"


def test_course_api_example_prints_the_courses_costs():
    code, shown = example("nn_model(")
    assert printed_by(code, "docs/gradients.md") == shown


def test_three_witnesses_example_prints_the_shapes_and_agreement_shown():
    code, shown = example("finite_difference_grads")
    printed = printed_by(code, "docs/gradients.md").splitlines()
    # The last digits are BLAS round-off: compare the shapes and dtypes exactly, the agreement by bounds.
    assert [line.split(" vs ")[0] for line in printed] == [line.split(" vs ")[0] for line in shown.splitlines()]
    for line in printed:
        autodiff, differences = (float(x) for x in re.findall(r"(\d\.\de[-+]\d+)", line))
        assert autodiff < 1e-14 and differences < 1e-7, line


def test_readme_checker_example_names_the_missing_one_over_m():
    code, shown = example("check_backprop(backward_propagation)")
    assert printed_by(code, "README.md") == shown


def setup_section():
    text = (ROOT / "README.md").read_text()
    [section] = re.findall(r"^## Set-up\n(.*?)(?=^## )", text, re.S | re.M)
    return section


def test_readme_holds_exactly_the_two_setup_commands():
    commands = [body.strip() for lang, body, _, _ in blocks(setup_section())]
    assert commands == SETUP_COMMANDS
    readme = (ROOT / "README.md").read_text()
    # Nowhere else does the README create an environment: a newcomer copies these two and nothing else.
    assert readme.count("python3 -m venv") == 2


def test_ci_runs_the_readmes_test_command():
    """.ci/run runs the second set-up command (pip may be quieter there)."""
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if "python3 -m venv" in line]
    assert [re.sub(r" -q\b", "", line) for line in ci] == [SETUP_COMMANDS[1]]


def shown_commands():
    """(page, line, argv after `shallownet`) for each shallownet command in a ```bash block."""
    found = []
    for page in PAGES:
        for lang, body, line, _ in blocks(page.read_text()):
            if lang != "bash":
                continue
            for k, command in enumerate(body.replace("\\\n", " ").splitlines()):
                for part in re.split(r"&&|;", command):
                    words = shlex.split(part, comments=True)
                    if words and Path(words[0]).name == "shallownet":
                        found.append((page, line + 1 + k, words[1:]))
    return found


def subcommand_parsers():
    import argparse

    from shallownet.cli import build_parser

    [subparsers] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return subparsers.choices


COMMANDS = shown_commands()


def test_the_pages_show_every_subcommand():
    assert {argv[0] for _, _, argv in COMMANDS} == set(subcommand_parsers())


@pytest.mark.parametrize("page,line,argv", COMMANDS, ids=[f"{name(p)}:{n}" for p, n, _ in COMMANDS])
def test_shown_command_uses_real_flags_and_parses(page, line, argv):
    from shallownet import config
    from shallownet.cli import build_parser

    parser = subcommand_parsers()[argv[0]]
    flags = {option for action in parser._actions for option in action.option_strings}
    for word in argv[1:]:
        if word.startswith("--"):
            assert word.split("=")[0] in flags, f"{name(page)}:{line}: shallownet {argv[0]} has no flag {word}"
    args = build_parser().parse_args(argv)  # raises UsageError on a malformed value or a missing argument
    # The settings' values are validated by the run configuration, as the command does before it runs.
    if argv[0] == "train" and not args.resume:
        config.RunConfig.of(config.given(args, "train"))
    elif argv[0] == "sweep":
        config.sweep_grid(config.given(args, "sweep"))


def heading_anchors(page):
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"^\s*```.*?^\s*```", "", page.read_text(), flags=re.S | re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"^#+ (.*)$", text, re.M)}


def relative_links():
    found = []
    for page in PAGES:
        text = re.sub(r"^\s*```.*?^\s*```", "", page.read_text(), flags=re.S | re.M)  # not inside code
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if not re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto: are not files
                found.append((page, target))
    return found


LINKS = relative_links()


def test_pages_have_relative_links_to_check():
    assert len(LINKS) > 20 and all(page in {p for p, _ in LINKS} for page in PAGES[:1])


@pytest.mark.parametrize("page,target", LINKS, ids=[f"{name(p)}->{t}" for p, t in LINKS])
def test_relative_link_resolves_to_a_file_of_the_repository(page, target):
    path, _, fragment = target.partition("#")
    resolved = (page.parent / path).resolve() if path else page
    inside = resolved.is_relative_to(ROOT)
    assert inside, f"{name(page)}: {target} points outside the repository"
    if not resolved.exists() and resolved.relative_to(ROOT).as_posix() in PENDING_LINKS:
        pytest.skip(f"{target}: written by another branch, not merged yet")
    assert resolved.is_file(), f"{name(page)}: {target} is not a file of the repository"
    if fragment and resolved.suffix == ".md":
        assert fragment in heading_anchors(resolved), f"{name(page)}: {target}: no such heading"
