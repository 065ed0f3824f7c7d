"""The benchmark scripts still run: their --quick modes print their tables."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bench(script):
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def table_rows(output, first_cell):
    return [line for line in output.splitlines() if line.startswith(f"| {first_cell}")]


def test_engine_bench_prints_the_evaluation_and_fit_tables():
    out = run_bench("engine.py")
    assert "| problem | dtype | threads | engine ms | floor ms |" in out
    rows = table_rows(out, "500x40->16->10")
    assert len(rows) == 8  # float64 and float32, 1 thread and all, medians and minimums
    assert "| optimizer | iterations | evaluations |" in out
    assert table_rows(out, "L-BFGS-B") and table_rows(out, "TNC")


def test_accuracy_bench_prints_its_table():
    pytest.importorskip("server.datasets")
    out = run_bench("accuracy.py")
    assert "| model | test accuracy | test error |" in out
    assert table_rows(out, "digits20") and table_rows(out, "MNIST")


def test_steps_bench_prints_the_step_and_default_run_tables():
    out = run_bench("steps.py")
    assert out.count("| step | ms | share |") >= 1
    assert table_rows(out, "X @ W1") and table_rows(out, "d1.T @ X")
    rows = table_rows(out, "digits20 500x400-25-10, TNC")
    assert len(rows) == 1 and rows[0].rstrip().endswith("float64 |")  # the floor's layout
    assert rows[0].count("x |") == 3  # fit / evaluations, fit / floor, evaluations / floor
    tnc = table_rows(out, "TNC's own work, replayed")
    assert len(tnc) == 1 and table_rows(out, "**fit** (17 evaluations)")
    # TNC's loops take time of their own: a positive fraction of the floor
    assert float(tnc[0].rstrip(" |").rsplit("| ", 1)[1].rstrip("x")) > 0


def test_follow_bench_prints_its_table():
    out = run_bench("follow.py")
    assert "| followers | runs | delay p50 ms | delay p95 ms |" in out
    assert table_rows(out, "0") and table_rows(out, "10")


def test_race_bench_prints_its_tables():
    out = run_bench("race.py")
    assert "| optimizer | val cost | test acc | evaluations | CPU s |" in out
    assert len(table_rows(out, "0 | ")) == 5  # one row per optimizer for the seed
    assert "Lowest validation cost:" in out
