"""One table of train settings: every surface takes its defaults and ranges from it."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pytest

from server import protocol
from server.cli import build_parser
from server.network import OPTIMIZER_REGISTRY, NeuralNetwork
from server.protocol import Limits, settings

LIMITS = Limits()


def cli_defaults() -> dict:
    args = build_parser().parse_args([])
    return {s.name: getattr(args, s.name) for s in settings.SETTINGS if s.flags()}


def api_defaults() -> dict:
    params = inspect.signature(NeuralNetwork).parameters
    return {s.name: params[s.name].default for s in settings.SETTINGS if s.api}


def normal(value):
    return list(value) if isinstance(value, tuple) else value


@pytest.mark.parametrize("surface, defaults", [("cli", cli_defaults), ("api", api_defaults)])
def test_every_surface_has_the_table_default_unless_the_table_says_why(surface, defaults):
    for name, value in defaults().items():
        row = settings.SETTING[name]
        assert normal(value) == row.default_for(surface), name
        if surface in row.surface_defaults:
            assert row.why, f"{name}: a {surface} default of its own needs a reason"


def test_the_documented_exceptions_are_the_only_ones():
    exceptions = {(s.name, surface): value for s in settings.SETTINGS
                  for surface, value in s.surface_defaults.items()}
    assert exceptions == {("random_state", "api"): None, ("validation_fraction", "cli"): 0.0}


def test_the_post_experiment_is_the_default_everywhere():
    wire = protocol.validate_train({"type": "train"}, LIMITS)
    ready = {row["name"]: row["default"] for row in settings.settings_json(LIMITS)}
    cli, api = cli_defaults(), api_defaults()
    post = {"hidden_layers": [25], "regularization_parameter": 1.0, "optimizer": "TNC",
            "max_iter": 50}
    for name, value in post.items():
        assert wire[name] == ready[name] == normal(cli[name]) == normal(api[name]) == value
    assert wire["random_state"] == ready["random_state"] == cli["random_state"] == 0
    assert wire["validation_fraction"] == ready["validation_fraction"] == 0.1
    assert {k: v for k, v in wire.items() if k != "type"} == ready


def test_every_wire_field_is_a_settings_row_in_form_order():
    wire = protocol.validate_train({"type": "train"}, LIMITS)
    rows = settings.settings_json(LIMITS)
    assert [row["name"] for row in rows] == [k for k in wire if k != "type"]
    form = [row["name"] for row in rows if row["form"]]
    assert form[:5] == ["hidden_layers", "regularization_parameter", "optimizer", "max_iter",
                        "random_state"]
    assert all(row["type"] in settings.TYPES for row in rows)


def test_ready_settings_carry_the_configured_limits():
    small = Limits(max_units=8, max_iter=10, max_hidden_layers=2, max_delay_ms=100)
    rows = {row["name"]: row for row in settings.settings_json(small)}
    assert rows["hidden_layers"]["max"] == 8 and rows["hidden_layers"]["max_length"] == 2
    assert rows["max_iter"]["max"] == 10 and rows["max_iter"]["default"] == 10
    assert rows["delay_ms"]["max"] == 100
    assert rows["learning_rate"]["optional"] and rows["learning_rate"]["min_open"]
    assert rows["learning_rate"]["optimizers"] == ["adam", "gd"]
    assert rows["optimizer"]["choices"] == list(OPTIMIZER_REGISTRY)


def test_ready_sends_settings_and_the_optimizer_registry():
    msg = protocol.ready(LIMITS, [], True)
    assert msg["settings"] == settings.settings_json(LIMITS)
    by_name = {o["name"]: o for o in msg["optimizers"]}
    assert list(by_name) == ["TNC", "L-BFGS-B", "CG", "adam", "gd"]
    assert by_name["adam"]["family"] == "minibatch"
    assert by_name["adam"]["options"] == ["learning_rate", "batch_size"]
    assert by_name["TNC"] == {"name": "TNC", "label": "TNC (Newton)", "family": "scipy",
                              "help": by_name["TNC"]["help"], "options": []}


def test_the_cli_keeps_its_flags_and_aliases():
    parser = build_parser()
    args = parser.parse_args(["--lambda", "2", "--seed", "5", "--hidden-layers", "300,100",
                              "--max-iter", "7", "--dtype", "float32",
                              "--validation-fraction", "0.2", "--quiet"])
    assert (args.regularization_parameter, args.random_state) == (2.0, 5)
    assert args.hidden_layers == (300, 100) and args.max_iter == 7
    assert args.dtype == "float32" and args.validation_fraction == 0.2 and args.quiet
    args = parser.parse_args(["--regularization-parameter", "3", "--random-state", "9"])
    assert (args.regularization_parameter, args.random_state) == (3.0, 9)
    with pytest.raises(SystemExit):
        parser.parse_args(["--optimizer", "sgd"])


def test_fit_dispatches_through_the_registry(monkeypatch):
    """A new optimizer is one registry entry: fit runs its loop, nothing else to edit."""
    calls = []

    def run(state, optimizer, x0, rng):
        calls.append(optimizer.name)
        state.best_x = x0
        state.finish("converged", "did nothing", 0)

    entry = dataclasses.replace(OPTIMIZER_REGISTRY["gd"], name="noop", run=run)
    monkeypatch.setitem(OPTIMIZER_REGISTRY, "noop", entry)
    X = np.random.default_rng(0).uniform(size=(20, 3))
    model = NeuralNetwork((4,), optimizer="noop", random_state=0).fit(X, np.arange(20) % 2)
    assert calls == ["noop"] and model.stop_reason_ == "converged"
