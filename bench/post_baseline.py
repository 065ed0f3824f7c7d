"""The post's NeuralNetwork, re-implemented as the speed baseline of ``bench/engine.py``.

Only the post's *speed* is reproduced here, not its numbers. The structure is
kept as the post wrote it (``/work/shared/seed/neural-networks-post.txt``):

- separate ``_cost`` and ``_gradient`` functions handed to ``scipy.optimize.minimize``
  (``fun=`` and ``jac=``), each running its own forward pass;
- every forward pass ``hstack``s a column of ones onto the whole data set and onto
  each hidden layer, and back-propagation ``hstack``s it onto ``X`` once more;
- thetas are a flat Python list built with ``list.extend`` and cut back into
  matrices with ``np.reshape``; the gradient is returned as a Python list built
  with ``extend`` as well;
- the logistic function is ``1 / (1 + np.exp(-H))`` and the cost takes ``np.log``
  of the outputs.

Two correctness bugs are fixed so that the baseline computes the same cost and
gradient as ``server.network.loss_and_grad`` (like is compared with like, and
``bench/engine.py`` checks that it does):

1. the cost's regularisation term is multiplied by lambda (the post forgot it);
2. the gradient does not regularise the bias row (the post added
   ``theta * lambda / m`` to the whole matrix, row 0 included).

The post's ``np.random.randn`` initialisation is replaced by a seeded generator,
and TNC's evaluation cap is passed as ``maxfun`` (the post's ``maxiter`` option
is not a TNC option in current scipy); neither affects the time of an evaluation.
"""

from __future__ import annotations

import numpy as np
import scipy.optimize as op


class PostNeuralNetwork:
    """The post's class: cost and gradient computed separately, bias by ``hstack``."""

    def __init__(self, hidden_layers: tuple, regularization_parameter=0.0, max_iter=200,
                 random_state=None):
        self._hidden_layers = hidden_layers
        self._regularization_parameter = regularization_parameter
        self._max_iter = max_iter
        self._rng = np.random.default_rng(random_state)

    def _logistic_function(self, H: np.ndarray):
        return 1 / (1 + np.exp(-H))

    def _make_thetas(self, layers: tuple):
        self.thetas = []
        self._thetas_sizes = []
        for i in range(len(layers))[:-1]:
            rows = layers[i]
            cols = layers[i + 1]
            self.thetas.extend(self._rng.standard_normal((rows + 1, cols)).flatten(order="C"))
            self._thetas_sizes.append((rows + 1, cols))

    def _reshape_thetas(self, flattened_thetas):
        reshaped_thetas = []
        elements_count = 0
        for theta_size in self._thetas_sizes:
            rows, cols = theta_size
            elements = rows * cols
            reshaped_thetas.append(np.reshape(
                flattened_thetas[elements_count:elements + elements_count],
                (rows, cols), order="C"))
            elements_count += elements
        return reshaped_thetas

    def _forward_propagation(self, X: np.ndarray, thetas):
        rows, _ = X.shape
        layers = []
        current_layer = np.hstack((np.ones((rows, 1)), X))  # (m, n + 1)
        for index, theta_matrix in enumerate(thetas):
            current_layer = self._logistic_function(np.matmul(current_layer, theta_matrix))
            if (index + 1) != len(thetas):
                current_layer = np.hstack((np.ones((rows, 1)), current_layer))
            layers.append(current_layer)
        return layers

    def _cost(self, thetas, X: np.ndarray, Y: np.ndarray):
        reshaped_thetas = self._reshape_thetas(thetas)
        calculated_layers = self._forward_propagation(X, reshaped_thetas)
        output_layer = calculated_layers[-1]
        y_samples, y_features = Y.shape
        total_cost = (Y * np.log(output_layer)
                      + (1 - Y) * np.log(1 - output_layer)).sum() / -y_samples
        if self._regularization_parameter != 0.0:
            for theta_matrix in reshaped_thetas:
                # fixed: the post left out the regularization parameter here
                total_cost += (self._regularization_parameter
                               * np.sum(np.power(theta_matrix[1:, :], 2)) / (2 * y_samples))
        return total_cost

    def _back_propagation(self, thetas, X, Y, calculated_layers):
        gradients = []
        rows, cols = Y.shape
        X = np.hstack((np.ones((rows, 1)), X))
        current_delta = calculated_layers[-1] - Y
        lam = self._regularization_parameter
        for layer, thetas_matrix in zip(calculated_layers[-2::-1], thetas[-1:0:-1]):
            current_gradient = np.matmul(layer.T, current_delta) / rows
            if lam != 0:
                # fixed: the post regularised the bias row too
                current_gradient[1:] += thetas_matrix[1:] * (lam / rows)
            gradients.append(current_gradient)
            current_delta = np.matmul(current_delta, thetas_matrix.T) * layer * (1 - layer)
            current_delta = current_delta[:, 1:]
        current_gradient = np.matmul(X.T, current_delta) / rows
        if lam != 0:
            current_gradient[1:] += thetas[0][1:] * (lam / rows)
        gradients.append(current_gradient)
        gradients.reverse()
        return gradients

    def _gradient(self, thetas, X, Y):
        gradient_vector = []
        reshaped_thetas = self._reshape_thetas(thetas)
        calculated_layers = self._forward_propagation(X, reshaped_thetas)
        gradients = self._back_propagation(reshaped_thetas, X, Y, calculated_layers)
        for gradient in gradients:
            gradient_vector.extend(gradient.flatten(order="C"))
        return gradient_vector

    def fit(self, X: np.ndarray, Y: np.ndarray):
        """Fit on ``X`` (m, n) and one-hot ``Y`` (m, p) with TNC, as the post does."""
        x_rows, x_cols = X.shape
        y_rows, y_cols = Y.shape
        self._make_thetas((x_cols,) + tuple(self._hidden_layers) + (y_cols,))
        optimized = op.minimize(fun=self._cost, x0=self.thetas, args=(X, Y), method="TNC",
                                jac=self._gradient, options={"maxfun": self._max_iter})
        self.thetas = optimized.x
        return self

    def predict(self, X):
        """Return a one-hot (m, p) matrix with a 1 at each row's largest output."""
        reshaped_thetas = self._reshape_thetas(self.thetas)
        layers = self._forward_propagation(X, reshaped_thetas)
        return (layers[-1] == np.max(layers[-1], axis=1, keepdims=True)) * 1

    def cost_and_gradient(self, flat_thetas, X, Y):
        """Return ``(cost, gradient list)``: one optimizer evaluation, the post's two calls."""
        return self._cost(flat_thetas, X, Y), self._gradient(flat_thetas, X, Y)
