"""One evaluation's rows split across the cores: every pass of it runs in parallel.

A threaded BLAS spreads the matrix products over the cores, but the elementwise
passes between them (the sigmoid's ``exp``, the slope, the output layer, the column
sums: :mod:`fused` and numpy's ufuncs) run on one core while the others wait. Here a
full-batch evaluation instead gives each of ``n_threads`` threads its own block of
rows: each block runs the whole forward and backward pass of
:func:`maths._backprop_rows` on a one-thread BLAS, at the same time as the others
(the products, the ufuncs and the compiled kernels all release the GIL), and the
blocks' gradients are added at the end. The data stay where they are: a block is a
view of ``X``'s rows; only the targets' blocks are copied, once, to the output
layer's layout.

Measured on 5000x400->25->10 (docs/benchmarks.md, fourth round): 4.4 ms against
4.9-5.6 ms on a two-thread BLAS. The gradient is the same sum split in two: it differs
from the one-block result by rounding only (about 1e-16). A full-batch ``fit`` uses it
(``FitState.split``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import maths

# Fewer rows a thread than this and the split costs more than it saves (the threads'
# hand-over is tens of microseconds; 5000x400->25->10 has 2500 rows a thread).
MIN_ROWS_PER_THREAD = 1024


class RowSplit:
    """``X`` (m, n) and ``Y`` (m, p) in ``n_threads`` row blocks, and the threads to run them.

    Use as a context manager (the threads end on exit); :meth:`for_fit` returns None
    when a split would not pay. ``Y`` is in the output layer's layout
    (:func:`maths.output_layout`).
    """

    def __init__(self, X, Y, n_threads):
        m = X.shape[0]
        if n_threads < 2 or m < n_threads:
            raise ValueError(f"n_threads must be in [2, {m}] (the rows), got {n_threads}")
        edges = [m * k // n_threads for k in range(n_threads + 1)]
        self.X, self.Y = X, Y
        self.rows = [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]
        self.blocks = [(X[rows], maths.output_layout(Y[rows])) for rows in self.rows]
        self._pool = ThreadPoolExecutor(n_threads - 1, thread_name_prefix="rows")
        self._buffers = None  # the other blocks' gradients, one flat vector each

    @classmethod
    def for_fit(cls, X, Y, n_threads):
        """Return a split of ``(X, Y)`` into ``n_threads`` blocks, or None when it would not pay."""
        if n_threads < 2 or X.shape[0] < MIN_ROWS_PER_THREAD * n_threads:
            return None
        return cls(X, Y, n_threads)

    @property
    def n_threads(self):
        return len(self.rows)

    def backprop(self, thetas, grad, table, scale, activation):
        """Write the gradient of all rows (times ``scale``) into the flat ``grad``; return
        ``(summed cost, output)``, as :func:`maths._backprop_rows` does on the whole set."""
        if self._buffers is None or self._buffers[0].dtype != grad.dtype \
                or self._buffers[0].shape != grad.shape:
            self._buffers = [np.empty_like(grad) for _ in self.rows[1:]]
        futures = [
            self._pool.submit(maths._backprop_rows, thetas, maths.unpack(buffer, table),
                              X, Y, scale, activation)
            for buffer, (X, Y) in zip(self._buffers, self.blocks[1:])
        ]
        try:
            cost, first = maths._backprop_rows(thetas, maths.unpack(grad, table),
                                               *self.blocks[0], scale, activation)
        finally:  # never return (or raise) while a block still writes its buffer
            results = [future.result() for future in futures]
        output = np.empty(self.Y.shape, dtype=first.dtype, order="F")
        output[self.rows[0]] = first
        for rows, buffer, (c, block_output) in zip(self.rows[1:], self._buffers, results):
            cost += c
            grad += buffer
            output[rows] = block_output
        return cost, output

    def close(self):
        self._pool.shutdown(wait=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

