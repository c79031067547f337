#!/usr/bin/env python
# coding: utf-8

# # Planar data classification with one hidden layer
#
# Exported with `jupyter nbconvert --to script`.

# In[1]:


import numpy as np
import matplotlib.pyplot as plt
from planar_utils import plot_decision_boundary, load_planar_dataset

get_ipython().run_line_magic('matplotlib', 'inline')
get_ipython().system('pip install --quiet numpy')

np.random.seed(1)


# In[2]:


X, Y = load_planar_dataset()
plt.scatter(X[0, :], X[1, :], c=Y, s=40, cmap=plt.cm.Spectral)
shape_X = X.shape


# In[3]:


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def backward_propagation(parameters, cache, X, Y):
    get_ipython().run_line_magic('xmode', 'Verbose')
    m = X.shape[1]
    W2 = parameters['W2']
    A1 = cache['A1']
    A2 = cache['A2']
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.multiply(np.dot(W2.T, dZ2), 1 - A1 ** 2)
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {'dW1': dW1, 'db1': db1, 'dW2': dW2, 'db2': db2}


# In[4]:


get_ipython().run_cell_magic('time', '', 'parameters = nn_model(X, Y, n_h=4, num_iterations=10000, print_cost=True)\n')


# In[ ]:




