"""The numeric core: numpy and scipy only, no Flask, threads of our own, or JSON wire.

``activations`` (the hidden units' functions and slopes), ``maths`` (forward, cost,
backprop), ``optimizers`` (the registry and its loops),
``estimator`` (NeuralNetwork), ``modelfile`` (save and load), ``gradcheck``,
``blas`` (thread limits during a fit), ``metrics`` and ``checks``.
"""
