"""BLAS threads during a fit: numpy's and scipy's wheels each carry an OpenBLAS.

Measured here, two busy pools made L-BFGS-B fits 4.6x slower, so during a fit
numpy's pool gets ``n_threads`` and every other pool one thread.
"""

from __future__ import annotations

import os
import threading

from threadpoolctl import ThreadpoolController

_blas_lock = threading.Lock()
_blas_users = 0
_blas_saved = None


class BlasLimits:
    """``with BlasLimits(n):`` numpy's pool gets ``n`` threads, every other pool one."""

    def __init__(self, n_threads):
        self.n_threads = n_threads

    def __enter__(self):
        global _blas_users, _blas_saved
        with _blas_lock:
            controller = ThreadpoolController()
            if _blas_users == 0:
                _blas_saved = [(lib, lib.num_threads) for lib in controller.lib_controllers]
            _blas_users += 1
            for lib in controller.lib_controllers:
                is_numpy = "numpy" in os.path.basename(os.path.dirname(lib.filepath))
                lib.set_num_threads(self.n_threads if is_numpy else 1)
        return self

    def __exit__(self, *exc):
        global _blas_users
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0 and _blas_saved:
                for lib, n in _blas_saved:
                    lib.set_num_threads(n)
        return False
