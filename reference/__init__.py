"""reference: the shallow network's cost differentiated by jax.grad, plus finite differences and validation.

Independent of ``manual`` by design (it never imports it): the truth that
manual's hand-derived backprop, and a learner's own (through ``checker``),
are checked against. It imports neither ``checker`` nor ``shallownet``.
"""
import jax

# float64 inputs are computed in float64, not silently rounded to float32.
jax.config.update("jax_enable_x64", True)

from .finite_differences import finite_difference_grads  # noqa: E402
from .model import ACTIVATION_NAMES, check_activation, hidden_activation, predict_logits  # noqa: E402
from .model import _cost_jit, _grads_jit, _value_and_grads_jit  # noqa: E402
from .model import cost_unchecked, grads_unchecked, value_and_grads_unchecked  # noqa: E402
from .validate import validate  # noqa: E402


def cost(params, X, Y, activation="tanh", output="sigmoid"):
    """Checked, jitted J(params) on X (n_x, m), Y (n_y, m)."""
    validate(params, X, Y, output)
    check_activation(activation)
    return _cost_jit(params, X, Y, activation=activation, output=output)


def grads(params, X, Y, activation="tanh", output="sigmoid"):
    """Checked, jitted jax.grad of J: dict dW1 db1 dW2 db2 with the params' shapes."""
    validate(params, X, Y, output)
    check_activation(activation)
    return _grads_jit(params, X, Y, activation=activation, output=output)


def value_and_grads(params, X, Y, activation="tanh", output="sigmoid"):
    """Checked, jitted (J, grads) by jax.value_and_grad."""
    validate(params, X, Y, output)
    check_activation(activation)
    return _value_and_grads_jit(params, X, Y, activation=activation, output=output)
