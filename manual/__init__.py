"""manual: the shallow network's formulas written by hand (jax.numpy, so they jit).

Conventions (the course's): X (n_x, m), examples are columns; Y (n_y, m);
params W1 (n_h, n_x), b1 (n_h, 1), W2 (n_y, n_h), b2 (n_y, 1); grads dW1 db1
dW2 db2 with the same shapes; cache Z1 A1 Z2 A2.
"""

import jax

# float64 inputs must be computed in float64. Without this flag JAX silently
# rounds them to float32. It only changes the *default* dtype of new arrays;
# explicitly float32 data stays float32 (training defaults to float32).
jax.config.update("jax_enable_x64", True)

from .activations import (
    ACTIVATION_NAMES,
    check_activation,
    get_activation,
    identity,
    identity_prime,
    leaky_relu,
    leaky_relu_prime,
    parse_activation,
    relu,
    relu_prime,
    sigmoid,
    sigmoid_prime,
    tanh,
    tanh_prime,
)
from .backward import (
    backward,
    backward_per_example,
    backward_per_example_unchecked,
    backward_sums,
    backward_sums_unchecked,
    backward_unchecked,
    grads,
    grads_one_example,
    grads_unchecked,
    matmul_nt,
    value_and_grads,
    value_and_grads_unchecked,
)
from .checks import check_problem
from .course import (
    backward_propagation,
    compute_cost,
    forward_propagation,
    initialize_parameters,
    layer_sizes,
    nn_model,
    predict,
    update_parameters,
)
from .forward import cost, cost_unchecked, forward, forward_unchecked, linear, loss, output_activation
from .init import init_params, init_zeros

__all__ = [
    "ACTIVATION_NAMES",
    "backward",
    "backward_per_example",
    "backward_per_example_unchecked",
    "backward_propagation",
    "backward_sums",
    "backward_sums_unchecked",
    "backward_unchecked",
    "check_activation",
    "check_problem",
    "compute_cost",
    "cost",
    "cost_unchecked",
    "forward",
    "forward_propagation",
    "forward_unchecked",
    "get_activation",
    "grads",
    "grads_one_example",
    "grads_unchecked",
    "identity",
    "identity_prime",
    "init_params",
    "init_zeros",
    "initialize_parameters",
    "layer_sizes",
    "leaky_relu",
    "leaky_relu_prime",
    "linear",
    "loss",
    "matmul_nt",
    "nn_model",
    "output_activation",
    "parse_activation",
    "predict",
    "relu",
    "relu_prime",
    "sigmoid",
    "sigmoid_prime",
    "tanh",
    "tanh_prime",
    "update_parameters",
    "value_and_grads",
    "value_and_grads_unchecked",
]
