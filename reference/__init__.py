"""reference: the shallow network's cost differentiated by jax.grad, plus finite differences and validation.

Independent of ``manual`` by design (it never imports it): the truth that
manual's hand-derived backprop, and a learner's own (through ``checker``),
are checked against. It imports neither ``checker`` nor ``shallownet``.
"""

import jax

# float64 inputs are computed in float64, not silently rounded to float32.
jax.config.update("jax_enable_x64", True)

from .finite_differences import finite_difference_grads
from .model import (
    ACTIVATION_NAMES,
    _cost_jit,
    _grads_jit,
    _value_and_grads_jit,
    check_activation,
    cost_unchecked,
    grads_unchecked,
    hidden_activation,
    loss_unchecked,
    predict_logits,
    value_and_grads_unchecked,
)
from .typing import AnyArray, Grads, ParamsLike
from .validate import validate

__all__ = [
    "ACTIVATION_NAMES",
    "check_activation",
    "cost",
    "cost_unchecked",
    "finite_difference_grads",
    "grads",
    "grads_unchecked",
    "hidden_activation",
    "loss_unchecked",
    "predict_logits",
    "validate",
    "value_and_grads",
    "value_and_grads_unchecked",
]


def cost(params: ParamsLike, X: AnyArray, Y: AnyArray, activation: str = "tanh", output: str = "sigmoid") -> jax.Array:
    """Checked, jitted J(params) on X (n_x, m), Y (n_y, m)."""
    validate(params, X, Y, output)
    check_activation(activation)
    return _cost_jit(params, X, Y, activation=activation, output=output)


def grads(params: ParamsLike, X: AnyArray, Y: AnyArray, activation: str = "tanh", output: str = "sigmoid") -> Grads:
    """Checked, jitted jax.grad of J: dict dW1 db1 dW2 db2 with the params' shapes."""
    validate(params, X, Y, output)
    check_activation(activation)
    return _grads_jit(params, X, Y, activation=activation, output=output)


def value_and_grads(
    params: ParamsLike, X: AnyArray, Y: AnyArray, activation: str = "tanh", output: str = "sigmoid"
) -> tuple[jax.Array, Grads]:
    """Checked, jitted (J, grads) by jax.value_and_grad."""
    validate(params, X, Y, output)
    check_activation(activation)
    return _value_and_grads_jit(params, X, Y, activation=activation, output=output)
