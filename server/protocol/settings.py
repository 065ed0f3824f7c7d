"""The train settings: one table, from which every surface takes its part.

Each :class:`Setting` row says what a field of the `train` message is (type,
default, range or choices, unit, label, one-line help) and where it appears:
``wire`` (the `train` message, validated by :func:`server.protocol.validate_train`),
``form`` (the page builds its settings form from ``ready.settings``, in this
order; ``datasets="points"`` rows apply only to the 2-D data sets), ``cli``
(``python -m server train`` flags; the first flag is the main one, the others are
aliases) and ``api`` (a keyword argument of ``NeuralNetwork``). ``kind_defaults``
says what a null means for each kind of data set (``"*"``: any other kind).

A surface that keeps a different default on purpose says so here, once:
``surface_defaults`` maps the surface ("api" or "cli") to its default and
``why`` gives the reason. tests/test_settings.py checks that the CLI parser,
``NeuralNetwork()``, the wire and ``ready.settings`` agree with the table.

A bound written as a string names a field of :class:`server.protocol.Limits`:
the server's configured limit is the bound.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..core.estimator import DTYPES
from ..core.initializers import INITIALIZERS
from ..core.maths import ACTIVATIONS
from ..core.optimizers import OPTIMIZER_REGISTRY

TYPES = ("int", "float", "ints", "choice", "dataset", "ident")
SURFACES = ("api", "cli")


@dataclass(frozen=True)
class Setting:
    """One train setting; see the module docstring for the flags."""

    name: str
    type: str
    default: object
    label: str
    help: str
    min: float | str | None = None     # a number, or the name of a Limits field
    max: float | str | None = None
    min_open: bool = False             # the minimum itself is not allowed
    min_length: int = 0                # "ints": entries
    max_length: int | str | None = None
    choices: tuple = ()
    unit: str | None = None
    optional: bool = False             # null / absent allowed: the server picks
    optimizers: tuple[str, ...] = ()   # applies only to these optimizers (empty: all)
    datasets: str | None = None        # applies only to data sets of this kind ("points")
    kind_defaults: dict = field(default_factory=dict)  # what null means, per data set kind
    form: bool = False
    wire: bool = True
    api: bool = True
    cli: tuple[str, ...] | None = ()   # flags; () = "--name-with-dashes"; None = no flag
    surface_defaults: dict = field(default_factory=dict)
    why: str = ""

    def bound(self, which: str, limits):
        value = getattr(self, which)
        return getattr(limits, value) if isinstance(value, str) else value

    def default_for(self, surface: str | None = None, limits=None):
        """This setting's default on ``surface`` (None: the wire and the page)."""
        if surface in self.surface_defaults:
            return self.surface_defaults[surface]
        value = self.default
        hi = self.bound("max", limits) if limits is not None else None
        if self.type in ("int", "float") and value is not None and hi is not None:
            value = min(value, hi)  # a server configured below the default
        return list(value) if isinstance(value, (list, tuple)) else value

    def flags(self) -> tuple[str, ...]:
        if self.cli is None:
            return ()
        return self.cli or ("--" + self.name.replace("_", "-"),)

    def to_json(self, limits) -> dict:
        """The row as ``ready.settings`` sends it: bounds resolved against ``limits``."""
        out = {"name": self.name, "type": self.type, "default": self.default_for(None, limits)}
        for key in ("min", "max", "max_length"):
            if getattr(self, key) is not None:
                out[key] = self.bound(key, limits)
        if self.type == "ints":
            out["min_length"] = self.min_length
        if self.min_open:
            out["min_open"] = True
        if self.choices:
            out["choices"] = list(self.choices)
        if self.optional:
            out["optional"] = True
        if self.optimizers:
            out["optimizers"] = list(self.optimizers)
        if self.datasets:
            out["datasets"] = self.datasets
        if self.kind_defaults:
            out["kind_defaults"] = dict(self.kind_defaults)
        out.update(label=self.label, unit=self.unit, help=self.help, form=self.form)
        return out


MINIBATCH = tuple(o.name for o in OPTIMIZER_REGISTRY.values() if o.family == "minibatch")
DEFAULT_LEARNING_RATES = ", ".join(
    f"{o.name} {o.learning_rate:g}" for o in OPTIMIZER_REGISTRY.values() if o.learning_rate)

POINTS = "points"  # the kind of the 2-D data sets (server.datasets)
WEIGHTS_INTERVAL_MS = {POINTS: 50, "*": 250}  # by data set kind; "*": every other kind

SETTINGS: tuple[Setting, ...] = (
    Setting("hidden_layers", "ints", [25], "Hidden layers",
            "Units per hidden layer, e.g. 25 or 300,100; none is logistic regression.",
            min=1, max="max_units", max_length="max_hidden_layers", unit="units", form=True),
    Setting("regularization_parameter", "float", 1.0, "λ (regularization)",
            "Weight decay λ/(2m)·Σθ² over the non-bias weights; 0 turns it off.",
            min=0.0, max=1e4, form=True, cli=("--regularization-parameter", "--lambda")),
    Setting("optimizer", "choice", "TNC", "Optimizer",
            "How the weights are searched for: scipy's full-batch methods or mini-batches.",
            choices=tuple(OPTIMIZER_REGISTRY), form=True),
    Setting("max_iter", "int", 50, "Max iterations",
            "Optimizer iterations (epochs for the mini-batch optimizers).",
            min=1, max="max_iter", unit="iterations", form=True),
    Setting("random_state", "int", 0, "Seed",
            "Seeds the initial weights, the validation split and the mini-batch order.",
            min=0, max=2**32 - 1, form=True, cli=("--random-state", "--seed"),
            surface_defaults={"api": None},
            why="The Python class draws fresh weights on every fit unless given a seed, as "
                "scikit-learn does; the page, the wire and the CLI start from seed 0 so that "
                "one experiment gives the same curves everywhere."),
    Setting("activation", "choice", "logistic", "Hidden activation",
            "The hidden units' function: logistic (the post's), tanh or relu; the output "
            "units stay logistic.",
            choices=tuple(ACTIVATIONS), form=True),
    Setting("init", "choice", "scaled_uniform", "Initial weights",
            "scaled_uniform: ±√(6/(n_in+n_out)), the project's; randn: the post's standard "
            "normal, which saturates the sigmoids.",
            choices=tuple(INITIALIZERS), form=True),
    Setting("learning_rate", "float", None, "Learning rate",
            f"Step size of the mini-batch optimizers (empty: {DEFAULT_LEARNING_RATES}).",
            min=0.0, min_open=True, max=100.0, optional=True, optimizers=MINIBATCH, form=True),
    Setting("batch_size", "int", 128, "Batch size",
            "Samples per mini-batch; capped by the training set size.",
            min=1, max=1_000_000, unit="samples", optimizers=MINIBATCH, form=True),
    Setting("delay_ms", "int", 0, "Delay per iteration",
            "A pause after each iteration: 0 = full speed; 500 lets a class follow.",
            min=0, max="max_delay_ms", unit="ms", form=True, api=False, cli=None),
    Setting("dataset", "dataset", "digits20", "Data set",
            "A data set id, e.g. digits20, mnist, xor (ready.datasets lists them).",
            form=True, api=False),
    Setting("noise", "float", None, "Noise",
            "2-D points only: std of the Gaussian noise on the points (the pattern spans "
            "[-1, 1]); empty: the data set's own (ready.datasets[i].data_params).",
            min=0.0, max=1.0, optional=True, datasets=POINTS, form=True, api=False),
    Setting("n_points", "int", None, "Points",
            "2-D points only: training points (the test set has a quarter as many); "
            "empty: the data set's own.",
            min=20, max=5000, unit="points", optional=True, datasets=POINTS, form=True,
            api=False),
    Setting("data_seed", "int", None, "Data seed",
            "2-D points only: draws the points; another seed is new data from the same "
            "pattern. Empty: the data set's own.",
            min=0, max=2**32 - 1, optional=True, datasets=POINTS, form=True, api=False),
    Setting("validation_fraction", "float", 0.1, "Validation fraction",
            "The share of the training set held out for the validation curve.",
            min=0.0, max=0.5, api=False, surface_defaults={"cli": 0.0},
            why="The page and the wire hold out 10% for the validation curve. The Python "
                "class holds nothing out (fit takes X_val, as scikit-learn's estimators take "
                "no hidden split), and the CLI, its command-line front, trains on the whole "
                "training set like the class so that it reproduces the post's numbers."),
    Setting("dtype", "choice", "float64", "Precision",
            "The precision of the computation (scipy keeps its float64 vector).",
            choices=DTYPES, wire=False),
    Setting("probe", "ints", list(range(8)), "Probe samples",
            "Test-set indices whose activations are streamed every iteration.",
            min=0, max=10**9, max_length="max_probe", api=False, cli=None),
    Setting("weights_interval_ms", "int", None, "Weights interval",
            "Least time between two `weights` frames (0 = every iteration); empty: "
            f"{WEIGHTS_INTERVAL_MS['points']} for 2-D points (tiny networks, redrawn "
            f"often), {WEIGHTS_INTERVAL_MS['*']} for other data sets.",
            min=0, max=600_000, unit="ms", optional=True, api=False, cli=None,
            kind_defaults=WEIGHTS_INTERVAL_MS),
    Setting("evaluation_interval_ms", "int", 250, "Evaluation interval",
            "Least time between two `evaluation` messages (0 = every one).",
            min=0, max=600_000, unit="ms", api=False, cli=None),
    Setting("run_id", "ident", None, "Run id",
            "Names the run; unique on the connection (empty: the server assigns one).",
            optional=True, api=False, cli=None),
)

SETTING = {s.name: s for s in SETTINGS}
DATA_PARAMS = tuple(s.name for s in SETTINGS if s.datasets == POINTS)  # make_toy's names


def for_dataset(request: dict, kind: str) -> dict:
    """``request`` with the settings that depend on the data set's kind decided.

    A null with ``kind_defaults`` becomes the kind's default; ``datasets`` rows of
    another kind become null (they do not apply).
    """
    out = dict(request)
    for s in wire_settings():
        if s.datasets and s.datasets != kind:
            out[s.name] = None
        elif out.get(s.name) is None and s.kind_defaults:
            out[s.name] = s.kind_defaults.get(kind, s.kind_defaults["*"])
    return out


def data_params(request: dict) -> dict:
    """The data set parameters a request sets (``make_toy``'s keyword arguments)."""
    return {name: request[name] for name in DATA_PARAMS if request.get(name) is not None}


def wire_settings() -> tuple[Setting, ...]:
    return tuple(s for s in SETTINGS if s.wire)


def settings_json(limits) -> list[dict]:
    """``ready.settings``: every field `train` accepts, form fields first."""
    return [s.to_json(limits) for s in wire_settings()]


def optimizers_json() -> list[dict]:
    """``ready.optimizers``: the registry as the page shows it."""
    return [{"name": o.name, "label": o.label, "family": o.family, "help": o.help,
             "options": list(o.options)} for o in OPTIMIZER_REGISTRY.values()]


# --------------------------------------------------------------------------- the doc

def _doc_bound(setting, which):
    value = getattr(setting, which)
    return f"`{value}`" if isinstance(value, str) else f"{value}"


def _doc_range(setting) -> str:
    if setting.type == "choice":
        return ", ".join(f"`{c}`" for c in setting.choices)
    if setting.type == "dataset":
        return "an id from `ready.datasets`"
    if setting.type == "ident":
        return "1-40 of `[A-Za-z0-9_-]`"
    low = "(" if setting.min_open else "["
    interval = f"{low}{_doc_bound(setting, 'min')}, {_doc_bound(setting, 'max')}]"
    if setting.type == "ints":
        count = f"{setting.min_length} to {_doc_bound(setting, 'max_length')}"
        return f"{count} integers in {interval}"
    return interval


def doc_rows() -> list[str]:
    """The rows of docs/protocol.md's `train` table (a test checks the doc against them)."""
    rows = ["| field | type | default | range | unit | optimizers | meaning |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for s in wire_settings():
        default = json.dumps(s.default, ensure_ascii=False)
        rows.append(f"| `{s.name}` | {s.type} | `{default}` | {_doc_range(s)} | "
                    f"{s.unit or ''} | {', '.join(s.optimizers) or 'all'} | {s.help} |")
    return rows


def doc_optimizer_rows() -> list[str]:
    """The rows of docs/protocol.md's optimizer table."""
    rows = ["| optimizer | label | family | options | meaning |",
            "| --- | --- | --- | --- | --- |"]
    for o in OPTIMIZER_REGISTRY.values():
        options = ", ".join(f"`{name}`" for name in o.options)
        rows.append(f"| `{o.name}` | {o.label} | {o.family} | {options} | {o.help} |")
    return rows
