"""Backprop Lab: a neural-network trainer you watch learn in the browser."""

from __future__ import annotations

from flask import Flask

from . import paths


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, the HTTP blueprint, the /ws route, the shared Lab.

    ``test_config`` replaces the config file and environment (tests pass
    ``{"TESTING": True, "MODELS_DIR": tmp_path, ...}``).
    """
    from . import api, config, headers, httperrors, ws
    from .live import Lab

    app = Flask(__name__, template_folder=paths.TEMPLATES_DIR,
                static_folder=paths.STATIC_DIR, static_url_path="/static")
    config.load(app, test_config)
    app.extensions["backprop_lab"] = Lab.from_config(app.config)
    api.init_app(app)
    httperrors.init_app(app)
    headers.init_app(app)
    ws.init_app(app)
    return app
