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

import _thread
import threading

import numpy as np

from . import maths

# Fewer rows a thread than this and the split costs more than it saves (the threads'
# hand-over is tens of microseconds; 5000x400->25->10 has 2500 rows a thread).
MIN_ROWS_PER_THREAD = 1024


class _Worker:
    """A thread that runs one call at a time, handed to it and back with two bare locks.

    Measured on the 2-core VM against ``ThreadPoolExecutor``'s submit and result (its
    futures and condition variables): 66-76 us less a round trip around a 1 ms job on
    each core, and split 5000x400->25->10 evaluations 3.14 -> 3.09 ms, 1.4-2.0% less
    in three interleaved runs (a busy 0.4 ms, TNC's, between evaluations).
    """

    def __init__(self, name):
        self._go, self._done = _thread.allocate_lock(), _thread.allocate_lock()
        self._go.acquire()
        self._done.acquire()
        self._call = self._outcome = None
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _loop(self):
        while True:
            self._go.acquire()
            call = self._call
            if call is None:  # closed
                return
            try:
                self._outcome = (call[0](*call[1]), None)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller of result()
                self._outcome = (None, exc)
            self._done.release()

    def start(self, fn, *args):
        """Run ``fn(*args)`` on the thread; call :meth:`result` before the next start."""
        self._call = (fn, args)
        self._go.release()

    def result(self):
        """Wait for the call to end; return its value or raise its exception."""
        self._done.acquire()
        (value, error), self._outcome = self._outcome, None
        if error is not None:
            raise error
        return value

    def close(self):
        self._call = None
        self._go.release()
        self._thread.join()


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
        self._workers = [_Worker(f"rows_{k}") for k in range(1, n_threads)]
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
        for worker, buffer, (X, Y) in zip(self._workers, self._buffers, self.blocks[1:]):
            worker.start(maths._backprop_rows, thetas, maths.unpack(buffer, table), X, Y,
                         scale, activation)
        try:
            cost, first = maths._backprop_rows(thetas, maths.unpack(grad, table),
                                               *self.blocks[0], scale, activation)
        finally:  # never return (or raise) while a block still writes its buffer
            results = _results(self._workers)
        output = np.empty(self.Y.shape, dtype=first.dtype, order="F")
        output[self.rows[0]] = first
        for rows, buffer, (c, block_output) in zip(self.rows[1:], self._buffers, results):
            cost += c
            grad += buffer
            output[rows] = block_output
        return cost, output

    def close(self):
        for worker in self._workers:
            worker.close()
        self._workers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _results(workers):
    """Every worker's result, in order, after all of them ended; the first error raised."""
    values, error = [], None
    for worker in workers:
        try:
            values.append(worker.result())
        except BaseException as exc:  # noqa: BLE001 - raised once all have ended
            error = error or exc
    if error is not None:
        raise error
    return values
