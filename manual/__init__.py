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

from .activations import (  # noqa: E402
    ACTIVATION_NAMES, check_activation, get_activation, identity, identity_prime, leaky_relu, leaky_relu_prime,
    parse_activation, relu, relu_prime, sigmoid, sigmoid_prime, tanh, tanh_prime,
)
from .backward import (  # noqa: E402
    backward, backward_per_example, backward_sums, backward_sums_unchecked, backward_per_example_unchecked, backward_unchecked, grads,
    grads_one_example, grads_unchecked, matmul_nt, value_and_grads, value_and_grads_unchecked,
)
from .checks import check_problem  # noqa: E402
from .course import (  # noqa: E402
    backward_propagation, compute_cost, forward_propagation, initialize_parameters, layer_sizes,
    nn_model, predict, update_parameters,
)
from .forward import cost, cost_unchecked, forward, forward_unchecked, linear, loss, output_activation  # noqa: E402
from .init import init_params, init_zeros  # noqa: E402
