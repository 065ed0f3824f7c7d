"""The command-line trainer: ``python -m server train ...``."""

from __future__ import annotations

import argparse
import sys
import time

from .network import NeuralNetwork
from .protocol.settings import DATA_PARAMS, SETTINGS


def _layers(text, flag="--hidden-layers"):
    """Parse ``"25"`` or ``"300,100"`` into a tuple of ints (``""`` for none)."""
    text = text.strip()
    if not text:
        return ()
    try:
        return tuple(int(part) for part in text.replace(" ", "").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{flag} must be comma-separated positive integers, got {text!r}"
        ) from None


_ARG_TYPES = {"int": int, "float": float, "ints": _layers, "dataset": str, "ident": str}
_METAVARS = {"int": "N", "float": "X", "ints": "N[,N...]", "dataset": "ID", "ident": "ID"}


def _add_setting(parser, setting):
    """One train setting's flags, from its row in ``server.protocol.settings``."""
    default = setting.default_for("cli")
    if isinstance(default, list):
        default = tuple(default)
    shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
    kwargs = {"dest": setting.name, "default": default,
              "help": f"{setting.help} (default: {shown})".replace("%", "%%")}
    if setting.type == "choice":
        kwargs["choices"] = setting.choices
    else:
        kwargs["type"] = _ARG_TYPES[setting.type]
    kwargs["metavar"] = _METAVARS.get(setting.type)
    parser.add_argument(*setting.flags(), **kwargs)


def build_parser():
    """Return the argument parser of the ``train`` command: the table's flags, then ours."""
    p = argparse.ArgumentParser(
        prog="python -m server train",
        description="Train a network from the command line and report its accuracy.",
    )
    for setting in SETTINGS:
        if setting.flags():
            _add_setting(p, setting)
    p.add_argument("--save", metavar="PATH.npz", help="write the trained model here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def model_params(args) -> dict:
    """The ``NeuralNetwork`` keyword arguments among the parsed flags."""
    return {s.name: getattr(args, s.name) for s in SETTINGS if s.api and s.flags()}


class ProgressBar:
    """A one-line progress bar on a terminal stream."""

    def __init__(self, total, stream=sys.stderr, width=30):
        self.total, self.stream, self.width = total, stream, width
        self.last_draw = 0.0
        self.drawn = False
        self.pending = None  # an iteration not drawn yet (the fit may end on it)

    def __call__(self, info):
        now = time.perf_counter()
        self.pending = info
        if info.iteration < self.total and now - self.last_draw < 0.1:
            return
        self._draw(info, now)

    def _draw(self, info, now):
        self.last_draw = now
        self.drawn = True
        self.pending = None
        done = int(self.width * info.iteration / self.total)
        bar = "#" * done + "." * (self.width - done)
        val = "" if info.val_accuracy is None else f"  val {100 * info.val_accuracy:5.1f}%"
        self.stream.write(
            f"\r[{bar}] {info.iteration:>4}/{self.total}  cost {info.cost:.4f}  "
            f"train {100 * info.train_accuracy:5.1f}%{val}  {info.elapsed:6.1f}s"
        )
        self.stream.flush()

    def close(self):
        if self.pending is not None:  # a fit that converged early: show where it ended
            self._draw(self.pending, time.perf_counter())
        if self.drawn:
            self.stream.write("\n")


def main(argv=None, out=sys.stdout, err=sys.stderr):
    """Run the ``train`` command; return the process exit code."""
    args = build_parser().parse_args(argv)
    from .datasets import load_dataset, train_validation_split

    try:
        given = {k: getattr(args, k) for k in DATA_PARAMS if getattr(args, k) is not None}
        ds = load_dataset(args.dataset, **given)
        X, y = ds.X_train, ds.y_train
        X_val = y_val = None
        if args.validation_fraction:
            X, y, X_val, y_val = train_validation_split(
                X, y, args.validation_fraction, random_state=args.random_state)
        model = NeuralNetwork(**model_params(args), class_names=list(ds.class_names),
                              image_shape=ds.image_shape)
        bar = None if args.quiet else ProgressBar(args.max_iter, stream=err)
        try:
            model.fit(X, y, callback=bar, X_val=X_val, y_val=y_val)
        except KeyboardInterrupt:
            model.stop()
        finally:
            if bar is not None:
                bar.close()
    except ValueError as e:
        err.write(f"error: {e}\n")
        return 2
    print(f"data set     {ds.name}: {len(y)} training, {len(ds.y_test)} test samples", file=out)
    print(f"network      {'-'.join(map(str, model.layer_sizes))}, lambda "
          f"{model.regularization_parameter:g}, {model.optimizer}", file=out)
    print(f"stopped      {model.stop_reason_}: {model.message_}", file=out)
    print(f"iterations   {model.n_iter_} ({model.n_fev_} evaluations) in "
          f"{model.fit_time_:.1f} s", file=out)
    print(f"final cost   {model.cost_history_[-1]:.4f}" if model.cost_history_ else
          "final cost   -", file=out)
    print(f"train        {100 * model.score(X, y):.2f}%", file=out)
    if X_val is not None:
        print(f"validation   {100 * model.score(X_val, y_val):.2f}%", file=out)
    print(f"test         {100 * model.score(ds.X_test, ds.y_test):.2f}%", file=out)
    if args.save:
        model.save(args.save)
        print(f"saved        {args.save}", file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
