# %% [markdown]
# # 1. Shapes and vectorization / 记住每个 W/b 的 shape!
#
# **Lecture sections:** 1.2 *neural network representation*, 1.3 *computing a neural network's output*,
# 1.4 *vectorizing across multiple examples*, 1.5 *explanation for vectorized implementation*, and the shapes
# and `keepdims` of 1.9 (记住每个 W/b 的 shape!).
#
# The notes' network: 3 inputs, one hidden layer of 4 units, 1 output unit. This notebook lists every shape in
# its forward and backward pass, corrects the places where the notes get the shapes or the layer indices
# wrong, and compares the for-loop over examples with the vectorized form. Every claim is an `assert`: a wrong
# claim stops the notebook.
#
# The one rule behind all the shapes: **$W^{[l]}$ is $(n^{[l]}, n^{[l-1]})$** — one row per unit of layer $l$,
# one column per input to layer $l$ (the units of layer $l-1$); $b^{[l]}$ is $(n^{[l]}, 1)$; and every
# $Z^{[l]}, A^{[l]}$ is $(n^{[l]}, m)$, one column per example. A gradient $dV$ has the shape of $V$.
#
# **In Colab or on a JupyterHub:** first run `%pip install 'shallownet[notebooks]'` in a cell of its own (or the
# wheel or repository address your teacher gives you, followed by `[notebooks]`). No restart is needed: nothing
# of it is imported before the next cell, which says in one line what to install when something is missing.

# %%
import importlib.util

if importlib.util.find_spec("shallownet") is None:  # Colab, JupyterHub: one install, then run this cell again
    raise ModuleNotFoundError("shallownet is not installed: run  %pip install 'shallownet[notebooks]'  in a cell, then this cell again (no restart needed)")
import timeit

import jax

jax.config.update("jax_enable_x64", True)               # verify in float64: set before any array exists
jax.config.update("jax_numpy_rank_promotion", "raise")  # a (n,) vector added to (n, m) is an error
import chex
import jax.numpy as jnp
import numpy as np

import manual
import reference

# %% [markdown]
# ## JAX for numpy users, in one cell
#
# The lessons use a few JAX calls beside numpy. What you need to read them:
#
# * `jnp` (`jax.numpy`) has numpy's functions with numpy's names and shapes; its arrays do not change in place
#   (`A.at[0, 0].set(1.0)` returns a new array where numpy would write `A[0, 0] = 1.0`).
# * `jax.grad(f)` is a new function that returns the gradient of a scalar `f` with respect to its first argument:
#   the witness the hand-derived formulas are compared with.
# * `jax.jit(f)` compiles `f` (same numbers, faster on repeat calls); `jax.vmap(f)` runs `f` on each column or row.
# * JAX computes in float32 unless `jax_enable_x64` is on, hence the line at the top of every notebook; random
#   numbers come from explicit keys, `jax.random.key(0)`, instead of a global seed.

# %%
x = np.array([1.0, 2.0, 3.0])
assert np.array_equal(jnp.tanh(x), np.tanh(x)) and jnp.tanh(x).dtype == jnp.float64   # numpy's names, float64
x_new = jnp.asarray(x).at[0].set(10.0)                   # a new array; the old one is unchanged
print("at[0].set(10):", x_new, " unchanged:", x)
square_sum = lambda v: jnp.sum(v ** 2)                     # noqa: E731
print("jax.grad of sum(x^2) at", x, "is", jax.grad(square_sum)(x), "(= 2x)")
np.testing.assert_allclose(jax.grad(square_sum)(x), 2 * x)

# %% [markdown]
# ## The notes' example: $n^{[0]} = n_x = 3$, $n^{[1]} = 4$, $n^{[2]} = 1$
#
# Five examples, so $m = 5$. Weights at scale 1 so that nothing is near zero.

# %%
n_x, n_h, n_y, m = 3, 4, 1, 5
rng = np.random.default_rng(0)
X = jnp.asarray(rng.standard_normal((n_x, m)))                 # float64
Y = jnp.asarray(rng.integers(0, 2, (n_y, m)), jnp.float64)
params = manual.init_params(jax.random.key(0), n_x, n_h, n_y, scale=1.0, dtype=jnp.float64)

A2, cache = manual.forward(params, X)
grads = manual.backward(params, cache, X, Y)
dZ2 = cache["A2"] - Y                                                          # the slide's dZ2
dZ1 = (params["W2"].T @ dZ2) * manual.tanh_prime(cache["Z1"], cache["A1"])     # the slide's dZ1

shapes = [
    ("X", X, (n_x, m), "(n_x, m): one column per example"),
    ("W1", params["W1"], (n_h, n_x), "(n[1], n[0]): 4 units, 3 inputs each"),
    ("b1", params["b1"], (n_h, 1), "(n[1], 1): broadcast across the m columns"),
    ("Z1, A1", cache["Z1"], (n_h, m), "(n[1], m)"),
    ("W2", params["W2"], (n_y, n_h), "(n[2], n[1]): 1 unit, 4 inputs (the 4 hidden units)"),
    ("b2", params["b2"], (n_y, 1), "(n[2], 1)"),
    ("Z2, A2", cache["Z2"], (n_y, m), "(n[2], m)"),
    ("dZ2", dZ2, (n_y, m), "like Z2"),
    ("dW2", grads["dW2"], (n_y, n_h), "like W2"),
    ("db2", grads["db2"], (n_y, 1), "like b2 (keepdims=True)"),
    ("dZ1", dZ1, (n_h, m), "like Z1"),
    ("dW1", grads["dW1"], (n_h, n_x), "like W1"),
    ("db1", grads["db1"], (n_h, 1), "like b1 (keepdims=True)"),
]
for name, value, expected, why in shapes:
    chex.assert_shape(value, expected)
    chex.assert_type(value, jnp.float64)
    print(f"{name:>7} {str(tuple(value.shape)):>8}  {why}")
chex.assert_shape(cache["A1"], (n_h, m))
chex.assert_shape(A2, (n_y, m))
# the slide's dZ1, averaged over the examples, is db1: the formulas above are the library's
np.testing.assert_allclose(dZ1.mean(axis=1, keepdims=True), grads["db1"], rtol=1e-12)

# %% [markdown]
# The rule holds for any sizes: every gradient has its parameter's shape, and the hand-derived gradients equal
# `jax.grad`'s.

# %%
for sizes in [(2, 7, 3), (5, 1, 2)]:
    a, h, c = sizes
    Xs = jnp.asarray(rng.standard_normal((a, 6)))
    Ys = jnp.asarray(rng.integers(0, 2, (c, 6)), jnp.float64)
    p = {"W1": rng.standard_normal((h, a)), "b1": rng.standard_normal((h, 1)),       # scale-1 weights
         "W2": rng.standard_normal((c, h)), "b2": rng.standard_normal((c, 1))}
    g = manual.grads(p, Xs, Ys)
    g_ref = reference.grads(p, Xs, Ys)
    for k in p:
        assert g["d" + k].shape == p[k].shape, (sizes, k)
        np.testing.assert_allclose(g["d" + k], g_ref["d" + k], rtol=1e-12, atol=1e-15)
    print(f"(n_x, n_h, n_y) = {sizes}: W1 {p['W1'].shape}, W2 {p['W2'].shape}; grads have the same shapes")

# %% [markdown]
# ## The notes' slip: layer 2's input is 4-dimensional, not 3
#
# The slips below are the lecture *notes'*, not the lecture slides': the slides write
# $W^{[1]}: (n^{[1]}, n^{[0]})$ and index the layers from 1, as this notebook does. The notes (1.2) say: "$shape(w^{[2]}) = (1, 4)$，因为只有 1 个神经元，输入是 3 维". The shape $(1, 4)$ is
# right, the reason is not: the input of layer 2 is $a^{[1]}$, the output of the **4** hidden units, so it is
# 4-dimensional (输入是 **4** 维). The 3-dimensional $x$ is the input of layer 1 only. A $W^{[2]}$ built from
# "the input is 3-dimensional" would be $(1, 3)$, and it cannot multiply $A^{[1]}$:

# %%
W2_from_the_slip = jnp.ones((n_y, n_x))                  # (1, 3): "one unit, 3 inputs"
try:
    W2_from_the_slip @ cache["A1"]                       # (1, 3) @ (4, m)
    raise AssertionError("a (1, 3) W2 should not multiply the (4, m) A1")
except TypeError as e:
    print("(1, 3) @ (4, m):", str(e).splitlines()[0])

try:
    manual.forward({**params, "W2": W2_from_the_slip}, X)
    raise AssertionError("manual.forward should reject a (1, 3) W2")
except ValueError as e:
    print("manual.forward:", e)
    assert "expected (1, 4)" in str(e)

# %% [markdown]
# ## The notes' mixed-up layer indices under "Formulas for computing derivatives"
#
# The layers are numbered from 1; layer 0 is the input, $A^{[0]} = X$, and has no parameters. In the notes' copy
# of this slide the forward pass is shifted down by one layer, while its backward pass (correctly) uses $[2]$ for
# the output; the slide itself numbers the layers as below. Each mistake of the notes, named and corrected:
#
# | # | the notes write | corrected | why |
# |---|---|---|---|
# | 1 | parameters $w^{[0]}, b^{[0]}$, shape $(n^{[0]}, n^{[0]})$ | $W^{[1]}: (n^{[1]}, n^{[0]})$, $b^{[1]}: (n^{[1]}, 1)$, ..., $W^{[L]}: (n^{[L]}, n^{[L-1]})$ | layer 0 has no parameters; $W^{[l]}$ maps $n^{[l-1]}$ inputs to $n^{[l]}$ units |
# | 2 | $z^{[0]} = w^{[0]} X + b^{[0]}$, $A^{[0]} = g^{[0]}(z^{[0]})$ | $Z^{[1]} = W^{[1]} X + b^{[1]}$, $A^{[1]} = g^{[1]}(Z^{[1]})$ | the hidden layer is layer 1 |
# | 3 | $z^{[1]} = w^{[1]} A^{[0]} + b^{[1]}$, $A^{[1]} = \sigma(z^{[1]})$ | $Z^{[2]} = W^{[2]} A^{[1]} + b^{[2]}$, $A^{[2]} = \sigma(Z^{[2]})$ | the output layer is layer 2 (the backward pass starts from $A^{[2]} - Y$) |
# | 4 | $dz^{[1]} = (w^{[1]T} dz^{[2]}) * g^{[1]\prime}(z^{[1]})$, shape $(n^{[0]}, m)$ | $dZ^{[1]} = W^{[2]T} dZ^{[2]} * g^{[1]\prime}(Z^{[1]})$, shape $(n^{[1]}, m)$ | the error flows back through the weights that carried it forward: $W^{[2]}$ |
# | 5 | "Vectorized implementation": $z^{[1]} = w^{[2]} x + b^{[2]}$ and $Z^{[2]} = w^{[1]} X + b^{[1]}$ | $Z^{[1]} = W^{[1]} X + b^{[1]}$, $Z^{[2]} = W^{[2]} A^{[1]} + b^{[2]}$ | weights swapped between the layers; layer 2's input is $A^{[1]}$, not $X$ |
#
# The shapes catch 4 and 5 at once: $W^{[1]T}$ is $(3, 4)$ and cannot multiply the $(1, m)$ $dZ^{[2]}$;
# $W^{[2]}$ is $(1, 4)$ and cannot multiply the $(3, m)$ $X$. The corrected formulas reproduce `jax.grad`.

# %%
def fails(f):
    """True when f() raises the shape error jnp.matmul gives for mismatched inner dimensions."""
    try:
        f()
    except TypeError:
        return True
    return False


assert fails(lambda: params["W1"].T @ dZ2)           # 4: w[1]^T dz[2] as the notes write it
assert fails(lambda: params["W2"] @ X)                # 5: w[2] x
assert fails(lambda: params["W1"] @ cache["A1"])      # 5: w[1] applied to layer 2's input A[1]

# the corrected formulas, by hand, against jax.grad of J
g_ref = reference.grads(params, X, Y)
dW1_corrected = dZ1 @ X.T / m                                                    # 1/m dZ[1] X^T
dW2_corrected = dZ2 @ cache["A1"].T / m                                          # 1/m dZ[2] A[1]^T
np.testing.assert_allclose(dW1_corrected, g_ref["dW1"], rtol=1e-12)
np.testing.assert_allclose(dW2_corrected, g_ref["dW2"], rtol=1e-12)
chex.assert_shape(dZ1, (n_h, m))                                                 # (n[1], m), not (n[0], m)
print("W1^T dZ2 and W2 X fail on shapes; W2^T dZ2 * g'(Z1) is", dZ1.shape, "and matches jax.grad")

# %% [markdown]
# ## `keepdims=True`
#
# The notes: "keepdims=True 表示，输出的 shape = $(n^{[2]}, 1)$ 而非 $(n^{[2]},)$". Without it, numpy's
# broadcasting silently turns the update of a $(4, 1)$ bias into a $(4, 4)$ matrix. With JAX's rank promotion
# set to "raise" (first cell), the same slip is an error.

# %%
dZ1_np = np.asarray(dZ1)
b1_np = np.asarray(params["b1"])
db1_without_keepdims = np.sum(dZ1_np, axis=1) / m                    # (4,)
db1_with_keepdims = np.sum(dZ1_np, axis=1, keepdims=True) / m        # (4, 1)
print("numpy:  b1 - 1.2 * db1 without keepdims ->", (b1_np - 1.2 * db1_without_keepdims).shape)
assert (b1_np - 1.2 * db1_without_keepdims).shape == (n_h, n_h)      # silently wrong
assert (b1_np - 1.2 * db1_with_keepdims).shape == (n_h, 1)

try:
    params["b1"] - 1.2 * jnp.asarray(db1_without_keepdims)
    raise AssertionError("rank promotion should have refused (4, 1) - (4,)")
except ValueError as e:
    print("jax:   ", str(e).split(". For more")[0])

# %% [markdown]
# ## The for-loop over examples vs the vectorized form
#
# The notes (1.4) first write the forward pass as `for i = 1 to m`, one column $x^{(i)}$ at a time, then stack
# the columns into $X$ and compute all examples with one matrix product. Same numbers; the difference is speed.
# Below: the same compiled forward pass called once per example from a Python loop, against one call on all
# of $X$; and the slide's per-example backward pass (a compiled loop over the examples,
# `manual.backward_per_example`) against the vectorized one (`manual.grads`). Equality is asserted; the
# speed-up is measured and printed (it depends on the machine, so it is not asserted).

# %%
m_big = 1000
X_big = jnp.asarray(rng.standard_normal((n_x, m_big)))
Y_big = jnp.asarray(rng.integers(0, 2, (n_y, m_big)), jnp.float64)
forward_jit = jax.jit(manual.forward_unchecked)


def forward_for_loop(params, X):                     # for i = 1 to m: one column at a time
    columns = [forward_jit(params, X[:, i:i + 1])[0] for i in range(X.shape[1])]
    return jnp.concatenate(columns, axis=1)


def forward_vectorized(params, X):                   # all m columns in one matrix product
    return forward_jit(params, X)[0]


columns = [X_big[:, i:i + 1] for i in range(m_big)]  # slice once, outside the timing


def forward_for_loop_presliced():
    return jnp.concatenate([forward_jit(params, x)[0] for x in columns], axis=1)


np.testing.assert_allclose(forward_for_loop(params, X_big), forward_vectorized(params, X_big), rtol=1e-12)
np.testing.assert_allclose(forward_for_loop_presliced(), forward_vectorized(params, X_big), rtol=1e-12)

g_loop = manual.backward_per_example(params, X_big, Y_big)
g_vec = manual.grads(params, X_big, Y_big)
for k in g_vec:
    np.testing.assert_allclose(g_loop[k], g_vec[k], rtol=1e-10, atol=1e-15)


def best_seconds(f, number):
    """Fastest of 5 repeats, per call."""
    return min(timeit.repeat(lambda: jax.block_until_ready(f()), number=number, repeat=5)) / number


t_loop = best_seconds(forward_for_loop_presliced, 1)
t_vec = best_seconds(lambda: forward_vectorized(params, X_big), 50)
t_bloop = best_seconds(lambda: manual.backward_per_example(params, X_big, Y_big), 5)
t_bvec = best_seconds(lambda: manual.grads(params, X_big, Y_big), 50)
print(f"m = {m_big}, float64, this machine")
print(f"forward,  Python for-loop over examples: {t_loop * 1e3:8.2f} ms")
print(f"forward,  vectorized:                    {t_vec * 1e3:8.3f} ms   speed-up x{t_loop / t_vec:,.0f}")
print(f"gradient, compiled loop over examples:   {t_bloop * 1e3:8.2f} ms")
print(f"gradient, vectorized:                    {t_bvec * 1e3:8.3f} ms   speed-up x{t_bloop / t_bvec:,.0f}")

# %% [markdown]
# Even with the loop compiled (no Python in it), handling one example at a time is slower: a matrix product
# over all columns keeps the processor's vector units busy, one small product per example does not. With a
# Python loop, the per-call overhead comes on top, once per example.

# %% [markdown]
# ## Try this: the shapes of another network
#
# A network with $n_x = 5$ inputs, $n^{[1]} = 3$ hidden units and $n^{[2]} = 2$ output units, trained on $m = 10$
# examples. Write down, without running anything, the shapes of $W^{[1]}, b^{[1]}, Z^{[1]}, W^{[2]}, b^{[2]},
# A^{[2]}, dW^{[1]}$ and $db^{[2]}$, as a dict such as `{"W1": (3, 5), ...}`. The check cell runs a real forward
# and backward pass of that network and compares.

# %%
my_shapes = None      # {"W1": (..., ...), "b1": ..., "Z1": ..., "W2": ..., "b2": ..., "A2": ..., "dW1": ..., "db2": ...}

# %%
from shallownet.lessons.exercises import check_shapes

check_shapes(my_shapes)

# %% [markdown]
# ## 小结
#
# * 一条规则管所有形状：$W^{[l]}$ 是 $(n^{[l]}, n^{[l-1]})$（本层单元数 × 上一层单元数），$b^{[l]}$ 是
#   $(n^{[l]}, 1)$，$Z^{[l]}$、$A^{[l]}$ 是 $(n^{[l]}, m)$，每列一个样本；梯度 $dV$ 和 $V$ 形状相同。
# * 笔记（不是课程幻灯片）的笔误：$W^{[2]}$ 的形状 $(1, 4)$ 是对的，但理由应是"输入是 **4** 维"
#   （隐藏层的 4 个单元）。"Formulas for computing derivatives" 一节：前向传播的层号下移了一层（第 0 层是输入，
#   没有参数；隐藏层是第 1 层），而反向传播以 $[2]$ 表示输出层，这是对的；$dz^{[1]}$ 应乘 $W^{[2]T}$ 而不是
#   $w^{[1]T}$；"Vectorized implementation" 中两层的权重互换了。表中 5 处已逐条更正。
# * `keepdims=True` 让 $db$ 保持 $(n, 1)$；否则 numpy 的广播会悄悄把 $(4, 1)$ 的 $b$ 变成 $(4, 4)$。
# * 向量化与逐样本的 for 循环结果相同，但一次矩阵乘法处理所有列要快得多。
