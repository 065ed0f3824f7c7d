"""The command-line trainer, ``python -m server train``."""

import io
import subprocess
import sys

import pytest

from server.cli import main
from server.network import NeuralNetwork


def test_train_reports_accuracy_and_saves_a_loadable_model(tmp_path):
    path = tmp_path / "xor.npz"
    out, err = io.StringIO(), io.StringIO()
    code = main(["--dataset", "xor", "--hidden-layers", "8", "--max-iter", "100", "--lambda", "0",
                 "--validation-fraction", "0.2", "--save", str(path)], out=out, err=err)
    assert code == 0, err.getvalue()
    report = out.getvalue()
    assert "test " in report and "validation " in report
    test_line = next(line for line in report.splitlines() if line.startswith("test "))
    test_accuracy = float(test_line.split()[1].rstrip("%"))
    model = NeuralNetwork.load(path)
    assert model.layer_sizes == (2, 8, 2) and 1 <= model.n_iter_ <= 100
    assert test_accuracy > 80
    assert f"{model.n_iter_:>4}/100" in err.getvalue()  # the progress bar showed the last one


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--dataset", "nope"], "nope"),
        (["--dataset", "xor", "--max-iter", "0"], "max_iter must be >= 1"),
        (["--dataset", "xor", "--regularization-parameter", "-1"], "regularization_parameter"),
        (["--dataset", "xor", "--hidden-layers", "4,0"], "hidden_layers[1]"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason(argv, message):
    err = io.StringIO()
    assert main(argv, out=io.StringIO(), err=err) == 2
    assert message in err.getvalue()


def test_python_dash_m_server_train_runs():
    proc = subprocess.run(
        [sys.executable, "-m", "server", "train", "--dataset", "xor", "--hidden-layers", "4",
         "--max-iter", "5", "--quiet"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "iterations   5" in proc.stdout
