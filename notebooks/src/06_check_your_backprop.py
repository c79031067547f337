# %% [markdown]
# # 6. Check your own backprop / 检查你自己的反向传播
#
# In the course's assignment you write `backward_propagation(parameters, cache, X, Y)` yourself. A wrong
# backward pass often still trains, just worse, so "the cost goes down" proves little. The course's remedy is
# gradient checking: compare your gradients with finite differences of the cost,
#
# $$\text{difference} = \frac{\lVert g - g_{\text{approx}} \rVert}{\lVert g \rVert + \lVert g_{\text{approx}} \rVert} < 2 \cdot 10^{-7}.$$
#
# `reference.checker.check_backprop` does this for you, and more: it runs your function on three random
# problems (weights of scale 1, all sizes different, one with 3 output units), compares every gradient with
# `jax.grad` of the cost and with finite differences, and when a gradient is wrong it searches the known slips
# (a missing $1/m$, $1 - Z^2$ instead of $1 - A^2$, a wrong axis, a missing transpose, ...) for the one that
# reproduces your numbers. Below: a backward pass with planted mistakes, the checker's report, the fix.

# %%
import jax

jax.config.update("jax_enable_x64", True)               # verify in float64: set before any array exists
import numpy as np

from reference.checker import check_backprop

# %% [markdown]
# ## A backward pass with two planted mistakes
#
# Written in plain numpy, as in the course. Two lines are wrong; can you spot them before the checker does?

# %%
def backward_propagation_buggy(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2, Z1 = cache["A1"], cache["A2"], cache["Z1"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2, A1.T)
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(Z1, 2))
    dW1 = (1 / m) * np.dot(dZ1, X.T)
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


report = check_backprop(backward_propagation_buggy)
print(report)

# %% [markdown]
# The report: $dW^{[2]}$ and $db^{[2]}$ pass (their formulas are right); $dW^{[1]}$ and $db^{[1]}$ fail by far
# more than round-off. The diagnosis names both mistakes:
#
# 1. the tanh derivative was written in terms of $Z^{[1]}$: $1 - (Z^{[1]})^2$, but
#    $\tanh'(z) = 1 - \tanh^2(z) = 1 - (A^{[1]})^2$. (At the course's initial scale 0.01, $Z^{[1]} \approx A^{[1]}$ and
#    this slip is almost invisible; the checker's weights of scale 1 expose it.)
# 2. $db^{[1]}$ lacks its $1/m$: it is the *sum* of the per-example gradients, not their average — the
#    question of notebook 1. The checker tells "off by a factor $m$" apart from any other constant because $m$
#    differs between its problems.

# %%
assert report.dtype_in == report.dtype_out == "float64"     # checked in float64, the course's threshold
assert not report.passed
assert report.row("dW2").passed and report.row("db2").passed
assert not report.row("dW1").passed and not report.row("db1").passed
diagnosis = {name: " ".join(report.row(name).diagnosis) for name in ("dW1", "db1")}
assert "Z1" in diagnosis["dW1"] and "A1" in diagnosis["dW1"]
assert "Z1" in diagnosis["db1"] and "1/m" in diagnosis["db1"]

# %% [markdown]
# ## The fix
#
# $1 - A^{[1]2}$ for the derivative, and the $1/m$ on $db^{[1]}$:

# %%
def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2, A1.T)
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = (1 / m) * np.dot(dZ1, X.T)
    db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


fixed = check_backprop(backward_propagation)
print(fixed)
assert fixed.passed
assert fixed.overall_course_difference < 2e-7
assert all(row.rel_autodiff < 1e-12 for row in fixed.rows)    # equal to jax.grad up to round-off

# %% [markdown]
# ## A mistake only some networks see
#
# The course's network has one output unit, and code such as `W2.T * dZ2` (element-wise where a matrix product
# belongs) happens to work there, because a $(n_h, 1)$ times a $(1, m)$ array broadcasts to $(n_h, m)$. With
# three output units it raises. The checker's third problem has $n_y = 3$, so the report says what happened and
# where; `one_output=True` checks only one-output problems, if that is all your network will ever have.

# %%
def backward_propagation_one_output(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = (1 / m) * np.dot(dZ2, A1.T)
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = W2.T * dZ2 * (1 - np.power(A1, 2))
    dW1 = (1 / m) * np.dot(dZ1, X.T)
    db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


one_output = check_backprop(backward_propagation_one_output)
print(one_output)
assert not one_output.passed
assert any("one output unit" in d for d in one_output.diagnoses)
assert check_backprop(backward_propagation_one_output, one_output=True).passed
