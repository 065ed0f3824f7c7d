"""Where resources are read and writable things go, per OS (the wheel test covers Linux live)."""

from pathlib import Path

import flask
import pytest

from server import __main__ as entry
from server import config, datasets, paths

HOME = Path("/home/ada")


@pytest.mark.parametrize("platform, environ, data, cache", [
    ("linux", {}, HOME / ".local/share/backprop-lab", HOME / ".cache/backprop-lab"),
    ("linux", {"XDG_DATA_HOME": "/x/data", "XDG_CACHE_HOME": "/x/cache"},
     Path("/x/data/backprop-lab"), Path("/x/cache/backprop-lab")),
    # The XDG spec: a relative path in these variables is invalid and ignored.
    ("linux", {"XDG_DATA_HOME": "rel", "XDG_CACHE_HOME": ""},
     HOME / ".local/share/backprop-lab", HOME / ".cache/backprop-lab"),
    ("darwin", {"XDG_CACHE_HOME": "/ignored"}, HOME / "Library/Application Support/backprop-lab",
     HOME / "Library/Caches/backprop-lab"),
    ("win32", {}, HOME / "AppData/Local/backprop-lab", HOME / "AppData/Local/backprop-lab/Cache"),
    ("win32", {"LOCALAPPDATA": "/appdata", "XDG_DATA_HOME": "/ignored"},
     Path("/appdata/backprop-lab"), Path("/appdata/backprop-lab/Cache")),
])
def test_user_dirs_follow_each_os_rules(platform, environ, data, cache):
    assert paths.user_dirs(platform, environ, HOME) == (data, cache)


def test_a_checkout_reads_the_root_folders_and_keeps_models_and_cache_there(monkeypatch):
    monkeypatch.delenv(paths.CACHE_DIR_ENV, raising=False)
    root = Path(__file__).resolve().parent.parent
    assert paths.IN_CHECKOUT
    assert (paths.TEMPLATES_DIR, paths.STATIC_DIR, datasets.DATA_DIR) == (
        root / "templates", root / "static", root / "data")
    assert paths.default_models_dir() == root / "models"
    assert config.DEFAULTS["MODELS_DIR"] == str(root / "models")
    assert paths.default_cache_dir() == root / "data" / "cache"


@pytest.mark.parametrize("quote", ["", '"'])  # a bare path, or JSON as for config keys
def test_the_cache_dir_setting_moves_the_digits20_cache(monkeypatch, tmp_path, quote):
    monkeypatch.setenv(paths.CACHE_DIR_ENV, f"{quote}{tmp_path / 'c'}{quote}")
    assert datasets.digits20_cache_path().parent == tmp_path / "c"


def test_the_cache_dir_flag_sets_the_setting(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.CACHE_DIR_ENV, "restored-after-the-test")
    seen = {}
    monkeypatch.setattr(flask.Flask, "run", lambda self, **kw: seen.update(
        cache=paths.default_cache_dir()))
    assert entry.main(["--port", "5125", "--cache-dir", str(tmp_path / "flagged")]) == 0
    assert seen["cache"] == tmp_path / "flagged"


def test_version_names_the_distribution(capsys):
    with pytest.raises(SystemExit) as info:
        entry.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("backprop-lab ")
