"""A pytest plugin for ``make mutate``: run a mutant's cheapest tests first.

mutmut runs, for each mutant, the tests that called the mutated function during its
stats run, with ``-x``, in no particular order. A killed mutant costs the tests up to
the first one that fails, so the order decides most of the run time: a mutant of
``loss_and_grad`` is reached by 165 tests, from 5 ms unit tests to 30 s socket
sessions. During the stats run this plugin records what each test costs in wall time,
set-up and teardown included (mutmut's own figure is the call alone, and a module
fixture that trains a network is most of some tests' cost); for a mutant it sorts the
tests by that cost. Outside mutmut (no ``MUTANT_UNDER_TEST``) it does nothing.

It also compiles the engine's numba kernels (server/core/fused.py) once the tests are
collected, in the fork server: every mutant's process inherits them, instead of each
loading them from numba's cache (about 0.4 s a process).

And each mutant's tests get a data cache of their own (``BACKPROP_LAB_CACHE_DIR``, a
directory of hard links to the clean run's built sets, removed afterwards): a mutant
of the digits20 build writes its wrong set there, never under the shared cache's key
for every later mutant to read. The cache is written by write-then-rename
(server/datasources/digits20.py), so a mutant's write replaces its own link and never
the shared file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

# A mutant that keeps a training from ending fails its test after this many seconds of
# waiting for a message (tests/conftest.py, capped_wait) instead of a minute.
os.environ.setdefault("BACKPROP_LAB_TEST_WAIT_CAP", "10")

COSTS = Path("mutation-test-costs.json")  # in mutants/, beside mutmut-stats.json
CACHES = Path("mutant-caches").resolve()  # in mutants/: each mutant's own data cache
_fixture_costs: dict[str, float] = {}  # "baseid::name" -> its set-up time
_costs: dict[str, float] = {}
_in_fixtures = 0.0  # set-up time spent in fixtures during the current test


def _phase() -> str | None:
    return os.environ.get("MUTANT_UNDER_TEST")


def _is_mutant(phase: str | None) -> bool:
    return phase not in (None, "", "stats", "list_all_tests", "fail")


_own_cache: str | None = None


def pytest_configure(config):
    """In a mutant's process: a private data cache, linked to the shared one."""
    global _own_cache
    if _phase() == "stats":  # a new run: the caches of mutants killed mid-test are left
        shutil.rmtree(CACHES, ignore_errors=True)
    if not _is_mutant(_phase()):
        return
    from server.paths import CACHE_DIR_ENV, default_cache_dir

    shared = default_cache_dir()
    CACHES.mkdir(exist_ok=True)
    _own_cache = tempfile.mkdtemp(prefix="mutant-", dir=CACHES)
    for entry in shared.glob("*.npz") if shared.is_dir() else ():
        try:
            os.link(entry, os.path.join(_own_cache, entry.name))
        except OSError:
            shutil.copyfile(entry, os.path.join(_own_cache, entry.name))
    os.environ[CACHE_DIR_ENV] = _own_cache


def pytest_unconfigure(config):
    if _own_cache is not None:
        shutil.rmtree(_own_cache, ignore_errors=True)


def _fixture_key(fixturedef) -> str:
    return f"{fixturedef.baseid}::{fixturedef.argname}"


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    global _in_fixtures
    start = time.perf_counter()
    yield
    spent = time.perf_counter() - start
    _fixture_costs[_fixture_key(fixturedef)] = spent
    _in_fixtures += spent


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Cost of a test run alone: its own time plus the set-up of every fixture it uses
    (a module fixture's set-up is paid by whichever of its tests runs first)."""
    global _in_fixtures
    _in_fixtures = 0.0
    start = time.perf_counter()
    yield
    if _phase() != "stats":
        return
    own = time.perf_counter() - start - _in_fixtures
    defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    used = {_fixture_key(d[-1]) for d in defs.values() if d}
    _costs[item.nodeid] = own + sum(_fixture_costs.get(k, 0.0) for k in used)


def pytest_sessionfinish(session):
    if _phase() == "stats" and _costs:
        known = json.loads(COSTS.read_text()) if COSTS.exists() else {}
        COSTS.write_text(json.dumps({**known, **_costs}, indent=0, sort_keys=True))


def _compile_kernels():
    """One small training step per dtype, with no mutant active, so that every kernel
    the engine calls is compiled in this process (and in the processes forked from it)."""
    import numpy as np

    from server.core.maths import layer_table, loss_and_grad, one_hot, pack

    phase = os.environ.get("MUTANT_UNDER_TEST")
    os.environ["MUTANT_UNDER_TEST"] = ""  # the originals; no stats recorded
    try:
        rng = np.random.default_rng(0)
        table = layer_table([3, 4, 2])
        for dtype in (np.float64, np.float32):
            X = rng.random((6, 3)).astype(dtype)
            Y = np.asfortranarray(one_hot(rng.integers(0, 2, 6), 2, dtype))
            flat = pack([rng.normal(size=(4, 4)), rng.normal(size=(5, 2))], dtype)
            loss_and_grad(flat, table, X, Y, 0.1)
    finally:
        if phase is None:
            del os.environ["MUTANT_UNDER_TEST"]
        else:
            os.environ["MUTANT_UNDER_TEST"] = phase


def pytest_collection_finish(session):
    _compile_kernels()  # this plugin is loaded by mutmut's pytest arguments only


# A mutant runs its tests, cheapest first, until their recorded costs add up to this
# many seconds (the first test always runs). A survivor's tests otherwise all run: a
# mutant of ``loss_and_grad`` would pay for its 165 tests, minutes of socket sessions.
# A mutant that only a dearer test would kill counts as a survivor: the budget can
# only lower the score. ``MUTATE_TEST_BUDGET=0`` runs every covering test.
BUDGET = float(os.environ.get("MUTATE_TEST_BUDGET", "3"))


def within_budget(items, costs, budget=BUDGET):
    """Return ``items`` sorted by cost, cut where the costs pass ``budget`` (0: all)."""
    ranked = sorted(items, key=lambda item: costs.get(item.nodeid, float("inf")))
    if budget <= 0:
        return ranked, []
    spent = 0.0
    for k, item in enumerate(ranked):
        spent += costs.get(item.nodeid, budget)
        if k and spent > budget:
            return ranked[:k], ranked[k:]
    return ranked, []


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if not _is_mutant(_phase()) or not COSTS.exists():
        return
    kept, dropped = within_budget(items, json.loads(COSTS.read_text()))
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = kept
