import numpy as np


def sigmod(z):
    return 1. / (1. + np.exp(-z))
