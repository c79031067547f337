import numpy as np
from softmax import softmax_loss_and_grad


class TwoLayerNet(object):

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {}
        self.params['W1'] = std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = std * np.random.randn(hidden_size, output_size)
        self.params['b2'] = np.zeros(output_size)

    def loss(self, X, y=None, reg=0.0):
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        h = np.maximum(0, np.dot(X, W1) + b1)
        scores = np.dot(h, W2) + b2
        if y is None:
            return scores
        loss, dscores = softmax_loss_and_grad(scores, y)
        loss += reg * np.sum(W1 * W1) + reg * np.sum(W2 * W2)
        print 'loss:', loss
        grads = {}
        grads['W2'] = np.dot(h.T, dscores) + 2 * reg * W2
        grads['b2'] = dscores.sum(axis=0)
        dh = np.dot(dscores, W2.T)
        dh[h <= 0] = 0
        grads['W1'] = np.dot(X.T, dh) + 2 * reg * W1
        grads['b1'] = dh.sum(axis=0)
        return loss, grads
