"""cs231n's two-layer net by hand: rows are examples, ReLU, softmax cross-entropy, L2 on the weights.

cs231n's names and shapes (assignment 1, ``TwoLayerNet.loss``): X (N, D), one
example per row; y (N,) integer labels in 0..C-1; W1 (D, H), b1 (H,), W2
(H, C), b2 (C,). Forward::

    Z1 = X W1 + b1          (N, H)      (cs231n calls it the hidden layer's input)
    H1 = relu(Z1)           (N, H)
    S  = H1 W2 + b2         (N, C)      the scores
    P  = softmax(S)         (N, C)      row by row
    L  = -(1/N) Σ_i log P[i, y_i] + R(W1, W2)

Backward: dS = (P - onehot(y)) / N: the 1/N of the average enters once, here.
Then dW2 = H1ᵀ dS, db2 = Σ_rows dS, dH1 = dS W2ᵀ, dZ1 = dH1 * 1[Z1 > 0],
dW1 = Xᵀ dZ1, db1 = Σ_rows dZ1, and the penalty's gradient is added to dW1
and dW2 only. Two conventions for R: ``"full"`` reg ΣW² (2017-2019, gradient
2 reg W) and ``"half"`` ½ reg ΣW² (2016, gradient reg W). The penalty carries
no 1/N: it is a property of the weights, not an average over the examples.

ReLU's derivative at exactly 0 is taken as 0 here, as cs231n's code writes it
(``dZ1[Z1 <= 0] = 0``); random inputs never hit 0 exactly.
"""

import jax.numpy as jnp

from .typing import Array, Params

REG_CONVENTIONS = {"full": 1.0, "half": 0.5}  # the factor in front of reg ΣW²


def relu(Z: Array) -> Array:
    """max(Z, 0), any shape."""
    return jnp.maximum(Z, 0.0)


def relu_mask(Z: Array) -> Array:
    """1[Z > 0], the ReLU's derivative (0 at Z = 0, as cs231n writes it)."""
    return (Z > 0).astype(Z.dtype)


def softmax_rows(S: Array) -> Array:
    """P[i] = exp(S[i] - max S[i]) / Σ_j exp(...): (N, C) -> (N, C), each row sums to 1."""
    shifted = S - jnp.max(S, axis=1, keepdims=True)
    E = jnp.exp(shifted)
    return E / jnp.sum(E, axis=1, keepdims=True)


def one_hot_rows(y: Array, C: int) -> Array:
    """(N,) integer labels -> (N, C) with a 1 at [i, y_i]; C from W2, never from the labels."""
    return (y[:, None] == jnp.arange(C)[None, :]).astype(jnp.float64)


def softmax_cross_entropy(P: Array, y: Array) -> Array:
    """-(1/N) Σ_i log P[i, y_i]: the data loss averaged over the N rows."""
    N = P.shape[0]
    return -jnp.sum(jnp.log(P[jnp.arange(N), y])) / N


def l2_penalty(W1: Array, W2: Array, reg: float, convention: str = "full") -> Array:
    """reg (ΣW1² + ΣW2²), halved for the 2016 convention; no 1/N."""
    return REG_CONVENTIONS[convention] * reg * (jnp.sum(W1 * W1) + jnp.sum(W2 * W2))


def l2_penalty_grad(W: Array, reg: float, convention: str = "full") -> Array:
    """d/dW of the penalty: 2 reg W (full) or reg W (half)."""
    return 2.0 * REG_CONVENTIONS[convention] * reg * W


def two_layer_forward(params: Params, X: Array) -> dict[str, Array]:
    """Z1 (N, H), H1 (N, H), S (N, C) from X (N, D)."""
    Z1 = X @ params["W1"] + params["b1"][None, :]
    H1 = relu(Z1)
    S = H1 @ params["W2"] + params["b2"][None, :]
    return {"Z1": Z1, "H1": H1, "S": S}


def softmax_scores_grad(P: Array, y: Array) -> Array:
    """dS = (P - onehot(y)) / N, (N, C): the gradient of the averaged cross-entropy at the scores."""
    N, C = P.shape
    return (P - one_hot_rows(y, C)) / N


def two_layer_backward(params: Params, X: Array, cache: dict[str, Array], dS: Array) -> Params:
    """dW1 (D, H), db1 (H,), dW2 (H, C), db2 (C,) of the data loss, from dS (N, C); no penalty."""
    dW2 = cache["H1"].T @ dS
    db2 = jnp.sum(dS, axis=0)
    dH1 = dS @ params["W2"].T
    dZ1 = dH1 * relu_mask(cache["Z1"])
    dW1 = X.T @ dZ1
    db1 = jnp.sum(dZ1, axis=0)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def two_layer_loss(
    params: Params, X: Array, y: Array, reg: float = 0.0, convention: str = "full"
) -> tuple[Array, Params]:
    """cs231n's ``loss(X, y, reg)``: (loss, grads) with grads keyed W1 b1 W2 b2, each the shape of its parameter."""
    cache = two_layer_forward(params, X)
    P = softmax_rows(cache["S"])
    loss = softmax_cross_entropy(P, y) + l2_penalty(params["W1"], params["W2"], reg, convention)
    grads = two_layer_backward(params, X, cache, softmax_scores_grad(P, y))
    for name in ("W1", "W2"):
        grads[name] = grads[name] + l2_penalty_grad(params[name], reg, convention)
    return loss, grads
