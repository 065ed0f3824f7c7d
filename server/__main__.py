"""``python -m server``: serve the lab. ``python -m server train ...``: the CLI trainer."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import webbrowser

log = logging.getLogger("server")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m server",
        description="Serve Backprop Lab (Flask's threaded server; for a classroom, "
                    "see docs/deploy.md). 'python -m server train --help' trains from "
                    "the command line.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="interface to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument("--open", action="store_true", help="open the page in a browser")
    parser.add_argument("--models-dir", help="where models are saved and uploaded "
                        "(default: models/ in a checkout, else the user's data directory)")
    parser.add_argument("--cache-dir", help="where data sets built on first use are cached "
                        "(default: data/cache/ in a checkout, else the user's cache directory;"
                        " also BACKPROP_LAB_CACHE_DIR)")
    parser.add_argument("--version", action="version", version=f"backprop-lab {version()}")
    parser.add_argument("--debug", action="store_true", help="Flask debug mode and reloader")
    return parser.parse_args(argv)


def version() -> str:
    """Return the installed distribution's version ("unknown" in a bare checkout)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version
    try:
        return dist_version("backprop-lab")
    except PackageNotFoundError:
        return "unknown (not installed)"


def run_train(argv) -> int:
    try:
        from . import cli
    except ImportError as exc:
        print(f"python -m server train: the command-line trainer is not available ({exc})",
              file=sys.stderr)
        return 2
    return cli.main(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "train":
        return run_train(argv[1:])
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.cache_dir:
        from .paths import CACHE_DIR_ENV
        os.environ[CACHE_DIR_ENV] = args.cache_dir  # read by datasets through paths
    from . import create_app
    app = create_app()
    if args.models_dir:
        from pathlib import Path
        app.extensions["backprop_lab"].models_dir = Path(args.models_dir)
        app.config["MODELS_DIR"] = args.models_dir
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    url = f"http://{shown}:{args.port}/"
    log.info("Backprop Lab listening on http://%s:%d/ (WebSocket at /ws); open %s",
             args.host, args.port, url)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("bound to %s: other machines can reach this server", args.host)
    if args.open:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    app.run(host=args.host, port=args.port, debug=args.debug, threaded=True,
            use_reloader=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
