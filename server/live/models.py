"""Saved models kept in memory: `/api/predict` parses a model file once, not per request.

A class predicting with one saved model sends a hundred requests a second; reading
the ``.npz`` every time cost most of each request (and reached a CPython 3.11 bug in
its header parsing under threads). :class:`ModelCache` keys a loaded model by its
path and the file's ``(mtime_ns, size, inode)``: a file replaced by a save or an upload is
read again on the next request, an unchanged one never.
"""

from __future__ import annotations

import collections
import os
import threading
from pathlib import Path

from ..network import NeuralNetwork


class ModelCache:
    """The newest ``max_models`` loaded model files, by path; thread-safe.

    ``loader(path, max_params)`` reads one file (``NeuralNetwork.load`` by default)
    and raises ``ValueError`` for a malformed one (nothing is kept then). A model
    handed out is shared between threads: predicting only reads its weights.
    """

    def __init__(self, max_params: int, max_models: int = 32, loader=None):
        self.max_params = max_params
        self.max_models = max_models
        self.loader = loader or (lambda path, max_params: NeuralNetwork.load(
            path, max_params=max_params))
        self._models: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict = {}  # path -> its lock, so one file is parsed once at a time

    def get(self, path) -> NeuralNetwork:
        """The model in ``path``, read from disk only when new or changed.

        Raises ``FileNotFoundError`` when the file is gone, ``ValueError`` when
        the loader refuses it.
        """
        path = str(Path(path).resolve())
        stamp = _stamp(path)
        with self._lock:
            hit = self._lookup(path, stamp)
            if hit is not None:
                return hit
            loading = self._loading.setdefault(path, threading.Lock())
        with loading:  # a hundred first requests for one model parse it once
            with self._lock:
                hit = self._lookup(path, stamp)
            if hit is not None:
                return hit
            try:
                model = self.loader(path, self.max_params)
            except BaseException:
                with self._lock:
                    self._loading.pop(path, None)
                raise
            with self._lock:
                self._loading.pop(path, None)
                self._models[path] = (stamp, model)
                self._models.move_to_end(path)
                while len(self._models) > self.max_models:
                    self._models.popitem(last=False)
            return model

    def _lookup(self, path, stamp):
        entry = self._models.get(path)
        if entry is None or entry[0] != stamp:
            return None
        self._models.move_to_end(path)
        return entry[1]

    def __len__(self):
        with self._lock:
            return len(self._models)


def _stamp(path: str) -> tuple[int, int, int]:
    """What changes when a file is rewritten or replaced (a save renames a new file in)."""
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size, st.st_ino
