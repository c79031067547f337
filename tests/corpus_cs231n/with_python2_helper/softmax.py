import numpy as np

DEBUG = False


def softmax_loss_and_grad(scores, y):
    """softmax loss averaged over the rows, and its gradient at the scores"""
    num_train = scores.shape[0]
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = 0.0
    for i in xrange(num_train):
        loss -= np.log(probs[i, y[i]])
    loss /= num_train
    if DEBUG:
        print "softmax loss", loss
    dscores = probs.copy()
    dscores[np.arange(num_train), y] -= 1
    return loss, dscores / num_train
