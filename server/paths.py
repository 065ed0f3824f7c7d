"""Where things are: the shipped resources and the user's writable directories.

Resources (the page's template, its static files, the bundled data sets) are read-only.
A checkout keeps them at the repository root (``templates/``, ``static/``, ``data/``);
the wheel carries the same folders inside the package (``server/templates``, ...; see
``[tool.hatch.build.targets.wheel]`` in ``pyproject.toml``). The package's copy wins when present.

Nothing is ever written next to them in an installed copy: the ``digits20`` cache goes
to the per-user cache directory and saved models to the per-user data directory, by the
rules below (those of platformdirs, written down: on Windows they are untested here).
A checkout keeps writing ``data/cache/`` and ``models/`` as it always did.

- Linux and other Unixes: ``$XDG_DATA_HOME/backprop-lab`` (default
  ``~/.local/share/backprop-lab``) and ``$XDG_CACHE_HOME/backprop-lab`` (default
  ``~/.cache/backprop-lab``);
- macOS: ``~/Library/Application Support/backprop-lab`` and
  ``~/Library/Caches/backprop-lab``;
- Windows: ``%LOCALAPPDATA%/backprop-lab`` and ``%LOCALAPPDATA%/backprop-lab/Cache``.

Models go to ``models/`` in the data directory. ``--models-dir`` (or
``BACKPROP_LAB_MODELS_DIR``) and ``--cache-dir`` (or ``BACKPROP_LAB_CACHE_DIR``) override
both defaults.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

APP_NAME = "backprop-lab"
CACHE_DIR_ENV = "BACKPROP_LAB_CACHE_DIR"

PACKAGE_DIR = Path(__file__).resolve().parent
# An installed wheel has server/templates; a checkout has templates/ beside server/.
IN_CHECKOUT = not (PACKAGE_DIR / "templates").is_dir()
RESOURCE_ROOT = PACKAGE_DIR.parent if IN_CHECKOUT else PACKAGE_DIR

TEMPLATES_DIR = RESOURCE_ROOT / "templates"
STATIC_DIR = RESOURCE_ROOT / "static"
DATA_DIR = RESOURCE_ROOT / "data"  # the bundled data sets, read-only


def user_dirs(platform: str = sys.platform, environ: Mapping[str, str] = os.environ,
              home: Path | None = None) -> tuple[Path, Path]:
    """Return this user's ``(data_dir, cache_dir)`` for the app on ``platform``."""
    home = Path.home() if home is None else home

    def env_dir(name: str, fallback: Path) -> Path:
        value = environ.get(name, "")
        # XDG: a relative path is invalid and must be ignored.
        return Path(value) if value and Path(value).is_absolute() else fallback

    if platform == "win32":
        base = env_dir("LOCALAPPDATA", home / "AppData" / "Local") / APP_NAME
        return base, base / "Cache"
    if platform == "darwin":
        library = home / "Library"
        return library / "Application Support" / APP_NAME, library / "Caches" / APP_NAME
    return (env_dir("XDG_DATA_HOME", home / ".local" / "share") / APP_NAME,
            env_dir("XDG_CACHE_HOME", home / ".cache") / APP_NAME)


def default_models_dir() -> Path:
    """Return where models are saved: ``models/`` in a checkout, else the user's data dir."""
    if IN_CHECKOUT:
        return RESOURCE_ROOT / "models"
    return user_dirs()[0] / "models"


def default_cache_dir() -> Path:
    """Return where built data sets are cached (``$BACKPROP_LAB_CACHE_DIR`` wins)."""
    override = os.environ.get(CACHE_DIR_ENV, "")
    try:  # JSON like the BACKPROP_LAB_* config keys ('"/srv/cache"'), or a bare path
        override = json.loads(override)
    except ValueError:
        pass
    if override and isinstance(override, str):
        return Path(override).expanduser()
    if IN_CHECKOUT:
        return DATA_DIR / "cache"
    return user_dirs()[1]
