# Derives nothing: automatic differentiation of its own cost.
import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)


def cost(parameters, X, Y):
    A1 = jnp.tanh(parameters["W1"] @ X + parameters["b1"])
    A2 = jax.nn.sigmoid(parameters["W2"] @ A1 + parameters["b2"])
    m = X.shape[1]
    return -jnp.sum(Y * jnp.log(A2) + (1 - Y) * jnp.log(1 - A2)) / m


def backward_propagation(parameters, cache, X, Y):
    gradient = jax.jit(jax.grad(cost))  # compiled: one program per problem, as JAX's guides teach
    g = gradient({k: jnp.asarray(v) for k, v in parameters.items()}, jnp.asarray(X), jnp.asarray(Y))
    return {"d" + k: np.asarray(v) for k, v in g.items()}
