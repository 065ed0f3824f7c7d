"""The command-line trainer: ``python -m server train ...``."""

from __future__ import annotations

import argparse
import sys
import time

from .network import DTYPES, OPTIMIZERS, NeuralNetwork


def _layers(text):
    """Parse ``"25"`` or ``"300,100"`` into a tuple of ints (``""`` for none)."""
    text = text.strip()
    if not text:
        return ()
    try:
        return tuple(int(part) for part in text.replace(" ", "").split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--hidden-layers must be comma-separated positive integers, got {text!r}"
        ) from None


def build_parser():
    """Return the argument parser of the ``train`` command."""
    p = argparse.ArgumentParser(
        prog="python -m server train",
        description="Train a network from the command line and report its accuracy.",
    )
    p.add_argument("--dataset", default="digits20", help="data set id (default: digits20)")
    p.add_argument("--hidden-layers", type=_layers, default=(25,), metavar="N[,N...]",
                   help="units per hidden layer, e.g. 25 or 300,100 (default: 25)")
    p.add_argument("--regularization-parameter", "--lambda", type=float, default=1.0,
                   dest="regularization_parameter", help="lambda (default: 1.0)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="TNC")
    p.add_argument("--max-iter", type=int, default=50, help="iterations (epochs for adam/gd)")
    p.add_argument("--random-state", "--seed", type=int, default=0, dest="random_state")
    p.add_argument("--dtype", choices=DTYPES, default="float64")
    p.add_argument("--learning-rate", type=float, default=None)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--validation-fraction", type=float, default=0.0,
                   help="fraction of the training set held out for validation (default: 0)")
    p.add_argument("--save", metavar="PATH.npz", help="write the trained model here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


class ProgressBar:
    """A one-line progress bar on a terminal stream."""

    def __init__(self, total, stream=sys.stderr, width=30):
        self.total, self.stream, self.width = total, stream, width
        self.last_draw = 0.0
        self.drawn = False

    def __call__(self, info):
        now = time.perf_counter()
        if info.iteration < self.total and now - self.last_draw < 0.1:
            return
        self.last_draw = now
        self.drawn = True
        done = int(self.width * info.iteration / self.total)
        bar = "#" * done + "." * (self.width - done)
        val = "" if info.val_accuracy is None else f"  val {100 * info.val_accuracy:5.1f}%"
        self.stream.write(
            f"\r[{bar}] {info.iteration:>4}/{self.total}  cost {info.cost:.4f}  "
            f"train {100 * info.train_accuracy:5.1f}%{val}  {info.elapsed:6.1f}s"
        )
        self.stream.flush()

    def close(self):
        if self.drawn:
            self.stream.write("\n")


def main(argv=None, out=sys.stdout, err=sys.stderr):
    """Run the ``train`` command; return the process exit code."""
    args = build_parser().parse_args(argv)
    from .datasets import load_dataset, train_validation_split

    try:
        ds = load_dataset(args.dataset)
        X, y = ds.X_train, ds.y_train
        X_val = y_val = None
        if args.validation_fraction:
            X, y, X_val, y_val = train_validation_split(
                X, y, args.validation_fraction, random_state=args.random_state)
        model = NeuralNetwork(
            hidden_layers=args.hidden_layers,
            regularization_parameter=args.regularization_parameter,
            max_iter=args.max_iter, optimizer=args.optimizer, random_state=args.random_state,
            dtype=args.dtype, learning_rate=args.learning_rate, batch_size=args.batch_size,
            class_names=list(ds.class_names), image_shape=ds.image_shape,
        )
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
