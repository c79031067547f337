"""Name the mistake in a user's gradients by recomputing them with known slips.

For every random problem the checker knows the true intermediates (Z1, A1,
Z2, A2, dZ2 = A2 - Y, g'(Z1), dZ1). From them this module builds "wrong"
gradients, each the result of one or two slips a course user makes (missing
1/m, 1 - Z1**2 for tanh', a sum over axis 0, a transpose, ...), and keeps the
slips that reproduce the user's output on *every* problem. A slip that
explains one problem by coincidence fails on the next: the problems differ in
m, n_x, n_h and n_y, so a factor m, a transpose or a wrong axis cannot hide.

A user's function that raises leaves no gradients to match; for it
``explain_exception`` reads the numpy error (shapes named n_x, n_h, n_y, m)
and the course-named arrays left in the user's frame (dZ2, dZ1, A1, ...).

Everything here is plain float64 numpy on concrete arrays: the user's code is
not traceable, and the truth was computed beforehand by jax.grad.
"""
import re
from dataclasses import dataclass
from itertools import product

import numpy as np

KEYS = ("dW1", "db1", "dW2", "db2")
PARTNER = {"dW1": "dW2", "dW2": "dW1", "db1": "db2", "db2": "db1"}
MAX_SLIPS = 3      # explanations with more slips than this are not searched
SIGN_HINT = "all four gradients have the wrong sign: dZ2 = Y - A2 instead of A2 - Y?"


@dataclass(frozen=True)
class Slip:
    """One known mistake: what it looks like in course notation, and how many slips it counts as."""
    text: str
    count: int = 1


def _try(f):
    """f(), or None where numpy refuses the shapes (the user's code would have raised too)."""
    try:
        with np.errstate(all="ignore"):
            return f()
    except ValueError:
        return None


# --- the hidden layer's derivative g'(Z1), right and wrong ----------------------------

def right_slope_text(activation):
    """g'(Z1) in the course's notation, for the diagnosis text."""
    base, _, param = activation.partition(":")
    return {
        "tanh": "1 - A1**2",
        "sigmoid": "A1 * (1 - A1)",
        "relu": "(Z1 >= 0)",
        "leaky_relu": f"np.where(Z1 >= 0, 1, {param or 0.01})",
        "identity": "1 (no factor)",
    }[base]


def slope_slips(activation):
    """Wrong versions of g'(Z1): [(Slip, f(case) -> (n_h, m) array or None)]."""
    base = activation.partition(":")[0]
    right = f"{base}'(Z1) = {right_slope_text(activation)}"
    slips = [
        (Slip(f"activation derivative written 1 - Z1**2 (Z1 where A1 belongs); {right}"),
         lambda c: 1 - c.Z1 ** 2),
        (Slip(f"sigmoid's derivative A1 * (1 - A1) used for the {base} hidden layer; {right}"),
         lambda c: c.A1 * (1 - c.A1)),
        (Slip(f"tanh's derivative 1 - A1**2 used for the {base} hidden layer; {right}"),
         lambda c: 1 - c.A1 ** 2),
        (Slip(f"activation derivative written Z1 * (1 - Z1) (Z1 where A1 belongs); {right}"),
         lambda c: c.Z1 * (1 - c.Z1)),
        (Slip(f"activation derivative omitted: dZ1 = np.dot(W2.T, dZ2) needs the factor {right}"),
         lambda c: np.ones_like(c.Z1)),
    ]
    if base in ("tanh", "sigmoid"):
        at_a2 = {"tanh": "1 - A2**2", "sigmoid": "A2 * (1 - A2)"}[base]
        slips.append((Slip(f"activation derivative taken from the output layer's A2 ({at_a2}); "
                           f"it belongs to the hidden layer: {right}"),
                      lambda c: _try(lambda: np.broadcast_to(
                          (1 - c.A2 ** 2) if base == "tanh" else c.A2 * (1 - c.A2), c.Z1.shape))))
    if base == "leaky_relu":
        slips.append((Slip(f"ReLU's derivative (Z1 >= 0) used for leaky_relu: the slope for Z1 < 0 is missing; {right}"),
                      lambda c: (c.Z1 >= 0).astype(float)))
    return slips


def dz2_slips(output):
    """Wrong versions of dZ2 = A2 - Y: [(Slip, f(case) -> array or None)]."""
    slips = [
        (Slip("dZ2 = A1 - Y: the hidden layer's activation A1 where the output's A2 belongs (dZ2 = A2 - Y)"),
         lambda c: _try(lambda: c.A1 - c.Y)),
    ]
    if output == "sigmoid":
        slips += [
            (Slip("dZ2 = Z2 - Y: the pre-activation Z2 where the activation A2 belongs (dZ2 = A2 - Y)"),
             lambda c: c.Z2 - c.Y),
            (Slip("dZ2 = (A2 - Y) * A2 * (1 - A2): the sigmoid's derivative applied again; "
                  "A2 - Y already includes it"),
             lambda c: (c.A2 - c.Y) * c.A2 * (1 - c.A2)),
        ]
    return slips


def upstream_variants(cases, activation, output):
    """[(Slip or None, [(dZ2, dZ1) per case], layers it touches)]; slips that change nothing are dropped."""
    variants = [(None, [(c.dZ2, c.dZ1) for c in cases], ("1", "2"))]
    for slip, f in dz2_slips(output):
        per_case = []
        for c in cases:
            dZ2 = f(c)
            per_case.append((dZ2, None if dZ2 is None else _try(lambda: (c.W2.T @ dZ2) * c.gp)))
        variants.append((slip, per_case, ("1", "2")))
    for slip, f in slope_slips(activation):
        per_case = [(c.dZ2, _times(c.W2.T @ c.dZ2, f(c))) for c in cases]
        if not all(_same(d1, c.dZ1) for (_, d1), c in zip(per_case, cases)):
            variants.append((slip, per_case, ("1",)))
    return variants


def _times(a, b):
    return None if b is None else _try(lambda: a * b)


def _same(a, b, tol=1e-12):
    if a is None or b is None or np.shape(a) != np.shape(b):
        return False
    return bool(np.linalg.norm(a - b) <= tol * max(np.linalg.norm(b), 1e-300))


# --- building each gradient from (dZ2, dZ1), right and wrong -------------------------

def _sum_builders(dz_name):
    """db from its dZ: the right sum and the wrong ones."""
    right = f"np.sum({dz_name}, axis=1, keepdims=True) / m"
    return [
        (None, lambda dZ, c: np.sum(dZ, axis=1, keepdims=True) / c.m),
        (Slip(f"sum over the wrong axis: axis=0 adds up the units of each example; the examples are "
              f"axis 1 ({right})"),
         lambda dZ, c: np.sum(dZ, axis=0, keepdims=True) / c.m),
        (Slip(f"sum over the wrong axis (axis=0) and keepdims missing; use {right}", 2),
         lambda dZ, c: np.sum(dZ, axis=0) / c.m),
        (Slip(f"np.sum({dz_name}) without axis=1 adds up everything to one number; use {right}"),
         lambda dZ, c: np.sum(dZ) / c.m),
    ]


def builders(key):
    """[(Slip or None, f(dZ, case) -> array or None)] for one gradient; dZ is dZ1 or dZ2 as the key needs."""
    if key == "dW1":
        return [
            (None, lambda dZ, c: dZ @ c.X.T / c.m),
            (Slip("dW1 = np.dot(dZ1, A1.T) / m: the hidden activation A1 where the input X belongs "
                  "(dW1 = np.dot(dZ1, X.T) / m)"),
             lambda dZ, c: dZ @ c.A1.T / c.m),
        ]
    if key == "dW2":
        return [
            (None, lambda dZ, c: dZ @ c.A1.T / c.m),
            (Slip("dW2 = np.dot(dZ2, X.T) / m: the input X where the hidden activation A1 belongs "
                  "(dW2 = np.dot(dZ2, A1.T) / m)"),
             lambda dZ, c: dZ @ c.X.T / c.m),
            (Slip("dW2 = np.dot(dZ2, A2.T) / m: the output activation A2 where the hidden activation "
                  "A1 belongs (dW2 = np.dot(dZ2, A1.T) / m)"),
             lambda dZ, c: dZ @ c.A2.T / c.m),
            (Slip("element-wise product where the matrix product belongs: dW2 = dZ2 * A1 / m has one "
                  "column per example; use np.dot(dZ2, A1.T) / m, which sums over them"),
             lambda dZ, c: _try(lambda: dZ * c.A1 / c.m)),
        ]
    return _sum_builders("dZ1" if key == "db1" else "dZ2")


SHAPE_OPS = [
    (None, lambda g: g),
    (Slip("transposed: the factors of the matrix product are in the wrong order or a .T is misplaced"),
     lambda g: g.T if g.ndim == 2 else None),
    (Slip("keepdims missing: shape (n,) where (n, 1) belongs; add keepdims=True to np.sum"),
     lambda g: g.reshape(-1) if g.ndim == 2 and g.shape[1] == 1 else None),
]


# --- scale: the one number that separates many slips ---------------------------------

def scale_slip(factors, ms, tol):
    """Name the per-case factors c (user = c * candidate) or return False when they tell no story."""
    named = [
        (lambda m: 1.0, None),
        (lambda m: float(m), Slip("missing 1/m: off by a factor m (the number of examples); divide by m once")),
        (lambda m: 1.0 / m, Slip("1/m applied twice: off by a factor 1/m; divide by m once")),
        (lambda m: -1.0, Slip("sign flipped: -1 times the gradient")),
        (lambda m: -float(m), Slip("sign flipped and missing 1/m (off by a factor -m)", 2)),
        (lambda m: -1.0 / m, Slip("sign flipped and 1/m applied twice (off by a factor -1/m)", 2)),
    ]
    for f, slip in named:
        if all(abs(c - f(m)) <= tol * abs(f(m)) for c, m in zip(factors, ms)):
            return slip
    c0 = factors[0]
    if c0 != 0 and all(abs(c - c0) <= tol * abs(c0) for c in factors):
        return Slip(f"off by a constant factor {c0:.6g} on every problem; no known mistake gives that factor",
                    MAX_SLIPS)
    return False


def fit_factor(user, candidate, tol):
    """c with user ~ c * candidate (least squares), or None when the shapes or the pattern differ."""
    if candidate is None or np.shape(user) != np.shape(candidate):
        return None
    cc = float(np.vdot(candidate, candidate))
    if cc == 0.0 or not np.isfinite(cc):
        return None
    c = float(np.vdot(user, candidate)) / cc
    if c == 0.0 or np.linalg.norm(user - c * candidate) > tol * abs(c) * np.sqrt(cc):
        return None
    return c


# --- the search -----------------------------------------------------------------------

def _candidates(key, cases, variants):
    """Yield (slips, [candidate per case]) for every mix of upstream slip, builder, shape op and swap."""
    for source in (key, PARTNER[key]):
        swap = None if source == key else Slip(
            f"gradients swapped between layers: {key} holds the formula of {source}")
        layer = source[-1]
        for (up, per_case, touches), (build, f), (op, g) in product(variants, builders(source), SHAPE_OPS):
            if up is not None and layer not in touches:
                continue
            slips = [s for s in (up, build, op, swap) if s is not None]
            if sum(s.count for s in slips) > MAX_SLIPS:
                continue
            arrays = []
            for (dZ2, dZ1), c in zip(per_case, cases):
                dZ = dZ1 if layer == "1" else dZ2
                built = None if dZ is None else _try(lambda: f(dZ, c))
                arrays.append(None if built is None else _try(lambda: g(np.asarray(built))))
            yield slips, arrays


def explain(key, user, cases, variants, tol):
    """The simplest explanations of the user's ``key`` over every case that returned it.

    ``user`` maps case index -> float64 array. Returns a list of texts (one per
    explanation found at the smallest slip count; several when several fit),
    empty when none fits.
    """
    idx = sorted(user)
    ms = [cases[i].m for i in idx]
    found = {}
    for slips, arrays in _candidates(key, cases, variants):
        factors = [fit_factor(user[i], arrays[i], tol) for i in idx]
        if any(f is None for f in factors):
            continue
        scale = scale_slip(factors, ms, 10 * tol)
        if scale is False:
            continue
        slips = slips + ([scale] if scale is not None else [])
        count = sum(s.count for s in slips)
        if count and count <= MAX_SLIPS:
            found.setdefault(count, []).append("; and ".join(s.text for s in slips))
    if not found:
        return []
    best = found[min(found)]
    return list(dict.fromkeys(best))


def group(diagnoses):
    """{key: [texts]} -> lines "dW1, db1: text", one per distinct explanation (several: numbered)."""
    by_text = {}
    for key in KEYS:
        texts = diagnoses.get(key)
        if not texts:
            continue
        text = texts[0] if len(texts) == 1 else "several explanations fit: " + " | ".join(
            f"({i}) {t}" for i, t in enumerate(texts, 1))
        by_text.setdefault(text, []).append(key)
    lines = [f"{', '.join(keys)}: {text}" for text, keys in by_text.items()]
    if all(diagnoses.get(k) == ["sign flipped: -1 times the gradient"] for k in KEYS):
        lines.append(SIGN_HINT)
    return lines


# --- a user's function that raised ---------------------------------------------------

def dims_of(case):
    return {"n_x": case.n_x, "n_h": case.n_h, "n_y": case.n_y, "m": case.m}


def symbolic(shape, dims):
    """(5, 7) -> '(n_h, m)' using the case's sizes; sizes that name nothing stay numbers."""
    names = {v: k for k, v in dims.items() if v != 1}
    parts = [names.get(int(n), str(n)) for n in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


_SHAPE = re.compile(r"\((\d+(?:\s*,\s*\d+)*)\s*,?\)")


def _shapes_in(message):
    return [tuple(int(n) for n in s.split(",") if n.strip()) for s in _SHAPE.findall(message)]


def numpy_error_hint(message, dims):
    """A hint for numpy's shape errors, with the shapes named n_x, n_h, n_y, m; '' when none applies."""
    shapes = _shapes_in(message)
    sym = [symbolic(s, dims) for s in shapes]
    if "could not be broadcast" in message and len(shapes) >= 2:
        (a, b) = shapes[:2]
        if len(a) == 2 and len(b) == 2 and a[1] == b[0]:
            return (f"element-wise product (*) of {sym[0]} and {sym[1]}, shapes that chain as a matrix "
                    f"product: np.dot belongs there (element-wise product where the matrix product belongs)")
        return f"an element-wise operation on {sym[0]} and {sym[1]}, shapes that do not match"
    if "not aligned" in message and len(shapes) >= 2:
        a, b = shapes[:2]
        if a == b:
            return (f"matrix product (np.dot) of two {sym[0]} arrays: the element-wise product "
                    f"(* or np.multiply) belongs there (matrix product where the element-wise product belongs)")
        return f"matrix product of {sym[0]} and {sym[1]}: the inner sizes differ; check the .T"
    sizes = re.search(r"size (\d+) is different from (\d+)", message)
    if "matmul" in message and sizes:
        a, b = (symbolic((int(n),), dims)[1:-2] for n in sizes.groups())
        return (f"matrix product (@) whose inner sizes differ ({a} vs {b}): several explanations fit: "
                f"the element-wise product (*) belongs there (matrix product where the element-wise product "
                f"belongs), or a .T is missing or misplaced")
    return ""


def user_frame(tb, filename):
    """The innermost traceback frame in ``filename`` (the user's file), else the innermost one."""
    frame = None
    while tb is not None:
        if filename is None or tb.tb_frame.f_code.co_filename == filename:
            frame = tb.tb_frame
        tb = tb.tb_next
    return frame


def locals_hints(frame, case, variants_dz2):
    """Course-named arrays in the user's frame that are wrong, named after what they hold."""
    if frame is None:
        return []
    truth = {k: getattr(case, k) for k in ("X", "Y", "W1", "b1", "W2", "b2", "Z1", "A1", "Z2", "A2",
                                           "dZ2", "dZ1")}
    hints = []
    for name, right in truth.items():
        value = frame.f_locals.get(name)
        if not hasattr(value, "shape") or not np.issubdtype(np.asarray(value).dtype, np.floating):
            continue
        # Round-off of the user's dtype (float32 code) is not a mistake.
        tol = max(1e-9, 1000 * np.finfo(np.asarray(value).dtype).eps)
        value = np.asarray(value, dtype=float)
        if _same(value, right, tol):
            continue
        holds = [other for other, v in truth.items() if other != name and _same(value, v, tol)]
        found = [f"your {name} holds {other}'s values" for other in holds[:1]]
        if name == "dZ2" and not found:
            found = [s.text for s, f in variants_dz2 if _same(value, f(case), tol)]
        if not found:
            dims = dims_of(case)
            found = [f"your {name} has shape {symbolic(value.shape, dims)} where {symbolic(right.shape, dims)} "
                     "belongs" if value.shape != right.shape else f"your {name} has the right shape but wrong values"]
        hints += found
    return hints
