"""Run a learner's definitions and find the function to check (in the child process; standard library only).

Only what defines things runs: imports, ``def`` and ``class`` statements,
assignments that call nothing, and ``try`` blocks made of those. A notebook
or its export also loads data, plots and trains at the top level, which the
check does not need and which may fail or take minutes outside the
learner's machine. Everything else is recorded as ``Skipped`` (where, the
names it would have defined, why), so that a function failing on one of
those names can be told why it is missing. ``get_ipython()`` statements
(nbconvert's form of a magic) are dropped from the syntax tree, inside
functions too.

A statement that raises, even SystemExit (``sys.exit()`` in a class body or a
default argument), is skipped with a note; it cannot end the check.
"""

import ast
import dis
import inspect
import linecache
from dataclasses import dataclass

DEFAULT_FUNCTION = "backward_propagation"
COURSE_ARGUMENTS = ("parameters", "cache", "X", "Y")
GRADS_ARGUMENTS = ("parameters", "X", "Y")
FORMS = {"backward": COURSE_ARGUMENTS, "grads": GRADS_ARGUMENTS}
# Argument names (lower-cased) a learner gives the course's four inputs.
ALIASES = {
    "parameters": "parameters",
    "params": "parameters",
    "param": "parameters",
    "parameter": "parameters",
    "cache": "cache",
    "caches": "cache",
    "x": "X",
    "y": "Y",
}
NAMESPACE = "__checked__"


@dataclass(frozen=True)
class Skipped:
    """A top-level statement the checker did not run, or that raised."""

    where: str  # "line 12", "cell 5 line 3"
    names: tuple  # what it would have defined
    why: str

    def as_dict(self):
        return {"where": self.where, "names": list(self.names), "why": self.why}


class NotFound(Exception):
    """No function to check: the message says what the file defines instead, and what to do."""


def place(cell_where, line):
    """'cell 5 line 3' in a notebook, 'line 12' in a .py (its cells keep the file's line numbers)."""
    return f"{cell_where} line {line}" if cell_where.startswith("cell") else f"line {line}"


# --- which statements run -------------------------------------------------------------------


def _rooted_at_get_ipython(node):
    """Whether an expression is get_ipython()...: nbconvert's export of a magic."""
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "get_ipython":
            return True
        node = node.func if isinstance(node, ast.Call) else node.value
    return False


class _DropIPython(ast.NodeTransformer):
    def _drop(self, node):
        return ast.copy_location(ast.Pass(), node) if _rooted_at_get_ipython(node.value) else node

    visit_Expr = visit_Assign = _drop


def _calls(node):
    """Whether running ``node`` calls anything (a lambda's body runs later, so it does not count)."""
    if isinstance(node, ast.Call):
        return True
    return any(_calls(n) for n in ast.iter_child_nodes(node) if not isinstance(n, ast.Lambda))


def _skip_reason(node, source):
    """'' when the statement runs, else why the checker leaves it out."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass)):
        return ""
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        if node.value is None or not _calls(node.value):
            return ""
        text = ast.get_source_segment(source, node.value) or "a call"
        text = text if len(text) <= 60 else text[:57] + "..."
        return (
            f"its value calls something ({text}), and the checker runs only imports, def and class "
            "statements and assignments that call nothing"
        )
    if isinstance(node, ast.Try):
        inner = (
            node.body
            + node.orelse
            + node.finalbody
            + [statement for handler in node.handlers for statement in handler.body]
        )
        return (
            ""
            if all(not _skip_reason(statement, source) for statement in inner)
            else "it is inside a try block that runs code"
        )
    names = {ast.If: "an if block", ast.For: "a for loop", ast.While: "a while loop", ast.With: "a with block"}
    for kind, what in names.items():
        if isinstance(node, kind):
            return f"it is inside {what}, which the checker does not run"
    return "a top-level statement the checker does not run"


def defined_names(node):
    """Names a top-level statement binds, without looking into function and class bodies."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return (node.name,)
    found = []

    def visit(inner):
        if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append(inner.name)
            return
        if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store):
            found.append(inner.id)
        elif isinstance(inner, ast.alias):
            found.append((inner.asname or inner.name).split(".")[0])
        for child in ast.iter_child_nodes(inner):
            visit(child)

    visit(node)
    return tuple(dict.fromkeys(found))


def run_definitions(cells, namespace, on_statement=None):
    """Run the cells' definitions into ``namespace``; return (notes, skipped).

    ``cells`` are checker.files.Cell-like (where, filename, source).
    ``on_statement(where)`` is called before each statement runs, so that a
    process that dies in a statement can be told which one it was.
    """
    notes, skipped = [], []
    for cell in cells:
        tree = _DropIPython().visit(ast.parse(cell.source, cell.filename))
        # Tracebacks show the learner's lines (the source is not a file on disk for a notebook cell).
        linecache.cache[cell.filename] = (len(cell.source), None, cell.source.splitlines(True), cell.filename)
        for node in tree.body:
            where = place(cell.where, node.lineno)
            why = _skip_reason(node, cell.source)
            if why:
                if defined_names(node):
                    skipped.append(Skipped(where, defined_names(node), why))
                continue
            if on_statement is not None:
                on_statement(where)
            code = compile(ast.Module(body=[node], type_ignores=[]), cell.filename, "exec")
            try:
                exec(code, namespace)
            except BaseException as e:  # the learner's code: even SystemExit must not end the check
                text = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    notes.append(f"{where}: {text} (import skipped)")
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    hint = " (sys.exit() in a class body or a default argument?)" if isinstance(e, SystemExit) else ""
                    notes.append(f"{where}: defining {node.name} raised {text}{hint} (skipped)")
                    skipped.append(Skipped(where, (node.name,), f"defining it raised {text}{hint}"))
                else:
                    skipped.append(Skipped(where, defined_names(node), f"running it raised {text}"))
    return notes, skipped


# --- finding the function and its arguments -------------------------------------------------


def _required(fn):
    """The names of the required positional parameters, or None when there is no signature."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    return tuple(
        parameter.name
        for parameter in parameters
        if parameter.default is parameter.empty
        and parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD)
    )


def _form_of(names):
    """'backward' or 'grads' when ``names`` (the course's name per argument) are a form's, in any order."""
    for form, want in FORMS.items():
        if len(names) == len(want) and set(names) == set(want):
            return form
    return None


def _course_form(fn, skip_self=False):
    """The form whose arguments ``fn``'s parameter names are (any order, any case), else None."""
    required = (_required(fn) or ())[1 if skip_self else 0 :]
    return _form_of(tuple(ALIASES.get(name.lower()) for name in required))


def binding(fn, name, form="auto"):
    """(form, order, note): how to call ``fn``; order lists the course input for each position."""
    required = _required(fn)
    if required is None:
        return (form if form != "auto" else "backward"), FORMS.get(form, COURSE_ARGUMENTS), ""
    names = tuple(ALIASES.get(name.lower()) for name in required)
    if form == "auto":
        form = _form_of(names) or {4: "backward", 3: "grads"}.get(len(required))
        if form is None:
            raise NotFound(
                f"{name} takes {len(required)} argument{'s' * (len(required) != 1)}"
                + (f" ({', '.join(required)})" if required else "")
                + "; expected (parameters, cache, X, Y) or (parameters, X, Y); name the form with --form"
            )
    want = FORMS[form]
    signature = f"{name}({', '.join(required)})"
    if len(names) == len(want) and set(names) == set(want):
        note = f"arguments bound by name: {signature}" if names != want else ""
        return form, names, note
    if len(required) != len(want):
        raise NotFound(
            f"{signature} takes {len(required)} arguments; the {form} form passes {len(want)}: ({', '.join(want)})"
        )
    return form, want, f"{signature}: arguments passed in the course's order ({', '.join(want)})"


def _where_defined(fn):
    """'hw.ipynb, cell 5 line 3' or 'line 12': where a function's def is."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return ""
    cell = ", cell " in code.co_filename
    return f"{code.co_filename} line {code.co_firstlineno}" if cell else f"line {code.co_firstlineno}"


def _user_classes(namespace):
    return [v for v in namespace.values() if isinstance(v, type) and v.__module__ == NAMESPACE]


def user_functions(namespace, user_files):
    """The functions the learner's file defined (not those it imported)."""
    return {k: v for k, v in namespace.items() if inspect.isfunction(v) and v.__code__.co_filename in user_files}


def _method_message(cls, name, fn):
    where = _where_defined(fn)
    return (
        f"{name} is a method of class {cls.__name__}"
        + (f" ({where})" if where else "")
        + ": the checker calls a plain function, not a method. Define it at the top level, "
        f"def {name}(parameters, cache, X, Y), or mark it @staticmethod if it does not use self, "
        f"or add a top-level function that calls it on a {cls.__name__} object"
    )


@dataclass
class Found:
    """The function to check, how to call it, and notes for the report."""

    fn: object
    name: str
    form: str
    order: tuple
    notes: list


def find_function(namespace, name, user_files, skipped, form="auto"):
    """The function ``name`` (default: backward_propagation, else the one with the course's arguments)."""
    explicit = name is not None
    name = name or DEFAULT_FUNCTION
    value = namespace.get(name)
    if value is not None:
        if not callable(value) or isinstance(value, type):
            kind = type(value).__name__
            raise NotFound(f"{name!r} is {'an' if kind[0] in 'aeiou' else 'a'} {kind}, not a function")
        return _found(value, name, form, [])
    for cls in _user_classes(namespace):
        if name in vars(cls):
            return _from_class(cls, name, vars(cls)[name], form)
    for entry in skipped:
        if name in entry.names:
            raise NotFound(f"{name} is defined at {entry.where}, which the checker skipped: {entry.why}")
    functions = user_functions(namespace, user_files)
    defines = f"; it defines {', '.join(functions)}" if functions else "; it defines no function"
    if explicit:
        raise NotFound(f"defines no function {name!r}{defines}")
    for wanted in FORMS:
        picks = [function_name for function_name, function in functions.items() if _course_form(function) == wanted]
        if len(picks) == 1:
            pick = picks[0]
            args = ", ".join(FORMS[wanted])
            return _found(
                functions[pick], pick, form, [f"no function {name}: checking {pick}, the one function taking ({args})"]
            )
        if len(picks) > 1:
            raise NotFound(
                f"defines no function {name!r}, and several take the course's arguments "
                f"({', '.join(picks)}): name one, FILE:NAME"
            )
    for cls in _user_classes(namespace):
        for attr, member in vars(cls).items():
            if inspect.isfunction(member) and _course_form(member, skip_self=True):
                raise NotFound(_method_message(cls, attr, member))
    raise NotFound(
        f"defines no function {name!r}, and no function takes the course's arguments (parameters, cache, X, Y){defines}"
    )


def _from_class(cls, name, member, form):
    if isinstance(member, staticmethod):
        return _found(
            member.__func__, f"{cls.__name__}.{name}", form, [f"checking the static method {cls.__name__}.{name}"]
        )
    if isinstance(member, classmethod):
        return _found(
            getattr(cls, name), f"{cls.__name__}.{name}", form, [f"checking the class method {cls.__name__}.{name}"]
        )
    raise NotFound(_method_message(cls, name, member))


def _found(fn, name, form, notes):
    form, order, note = binding(fn, name, form)
    return Found(fn, name, form, order, notes + ([note] if note else []))


# --- a module-level m -----------------------------------------------------------------------


def _reads_global(code, name):
    for instruction in dis.get_instructions(code):
        if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME") and instruction.argval == name:
            return True
    return any(_reads_global(const, name) for const in code.co_consts if inspect.iscode(const))


def global_m(namespace, user_files):
    """{'functions': [learner functions reading a global m], 'value': repr of the module's m or None}."""
    readers = [
        name
        for name, function in user_functions(namespace, user_files).items()
        if _reads_global(function.__code__, "m")
    ]
    value = namespace.get("m")
    return {"functions": readers, "value": None if value is None else repr(value)[:40]}
