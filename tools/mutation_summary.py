"""Write docs/mutation-summary.md from a finished ``mutmut run`` (``make mutate``).

Reads mutmut's per-file results (``mutants/**/*.py.meta``), applies the reviewed list of
equivalent mutants (``tools/mutation-equivalent.txt``: a mutant's name, `` -- `` and why
no test can tell it from the original) and writes the counts, the score per module and
every survivor with its file, line and change. ``--run`` first runs
mutmut afresh (``--resume``: goes on with the last run's unchecked mutants) and records
its wall and CPU time; without it the summary is written from the last run's results.

The score is killed / (all - equivalent): a survivor, a mutant no test reaches ("no
tests") and a "suspicious" one all count against it; a timeout counts as killed (the
mutant made the tests hang, which a run would notice).
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT = ROOT / "tools" / "mutation-equivalent.txt"
OUT = ROOT / "docs" / "mutation-summary.md"
KILLED = {"killed", "timeout", "caught by type check"}
# mutmut's exit codes (mutmut/stats.py), kept here so the summary needs no mutmut import
# to count; the diffs of survivors do use mutmut.
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests",
          34: "skipped", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout",
          255: "timeout", 37: "caught by type check", -11: "segfault", -9: "segfault",
          None: "not checked"}


def read_equivalents(path: Path = EQUIVALENT) -> dict[str, str]:
    """Return ``{mutant name: reason}`` from the reviewed list (``#`` starts a comment)."""
    found = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, reason = line.partition(" -- ")
        if not sep or not reason.strip():
            raise SystemExit(f"{path}:{number}: expected 'mutant -- reason', got {line!r}")
        found[name.strip()] = reason.strip()
    return found


def read_results(mutants: Path) -> dict[str, tuple[str, str]]:
    """Return ``{mutant name: (source path, status)}`` for every mutant of the last run."""
    results = {}
    for meta in sorted(mutants.glob("server/**/*.py.meta")):
        source = str(meta.relative_to(mutants))[: -len(".meta")]
        for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            results[name] = (source, STATUS.get(code, "suspicious"))
    return results


def function_span(source: str, mutant: str) -> tuple[int, int]:
    """Return the first and last line of the function ``mutant`` was made from."""
    key = mutant.rpartition(".")[2].rpartition("__mutmut_")[0]
    parts = key.split("ǁ")  # x_name, or xǁClassǁmethod
    cls, name = (parts[1], parts[2]) if len(parts) == 3 else (None, key[2:])
    tree = ast.parse(source)
    body = tree.body
    if cls:
        body = next(n.body for n in body if isinstance(n, ast.ClassDef) and n.name == cls)
    node = next(n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                and n.name == name)
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return first, node.end_lineno


def describe(mutant: str, path: str) -> tuple[int, str, str]:
    """Return ``(line, original, mutated)`` for one mutant, from mutmut's diff."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    diff = get_diff_for_mutant(mutant, path=path).splitlines()
    removed = [x[1:] for x in diff if x.startswith("-") and not x.startswith("---")]
    added = [x[1:] for x in diff if x.startswith("+") and not x.startswith("+++")]
    source = (ROOT / path).read_text()
    first, last = function_span(source, mutant)
    lines = source.splitlines()
    line = first
    if removed:
        for number in range(first, last + 1):
            if lines[number - 1].rstrip() == removed[0].rstrip():
                line = number
                break
    return line, " / ".join(x.strip() for x in removed), " / ".join(x.strip() for x in added)


def module_of(path: str) -> str:
    return path.removeprefix("server/").removesuffix(".py")


def render(results, equivalents, details, cpu=None, wall=None) -> str:
    counts = Counter(status for _, status in results.values())
    equivalent = [m for m in results if m in equivalents
                  and results[m][1] not in KILLED | {"not checked"}]
    stale = sorted(m for m in equivalents if m not in results or results[m][1] in KILLED)
    killed = sum(counts[s] for s in KILLED)
    total = len(results)
    judged = total - len(equivalent) - counts["not checked"]  # a stopped run: what it tested
    score = 100.0 * killed / judged if judged else 0.0
    out = [
        "# Mutation testing: the last run",
        "",
        "Generated by `make mutate` (tools/mutation_summary.py); do not edit by hand.",
        "docs/testing.md, \"Mutation testing\", says how to read it.",
        "",
        f"- date: {datetime.date.today().isoformat()}; mutmut {version('mutmut')}, "
        f"Python {sys.version.split()[0]}",
    ]
    if cpu is not None or wall is not None:
        cpu_text = "" if cpu is None else f", {cpu:.0f} s CPU (user + sys)"
        out.append(f"- run time: {wall or 0:.0f} s wall{cpu_text}")
    budget = os.environ.get("MUTATE_TEST_BUDGET", "3")
    out.append(f"- each mutant ran its covering tests, cheapest first, up to {budget} s of their "
               "recorded cost (`MUTATE_TEST_BUDGET`; 0: all of them; tools/mutmut_order.py)")
    out += [
        f"- mutants: {total}; killed {counts['killed']}, timed out {counts['timeout']}, "
        f"survived {counts['survived']}, no tests {counts['no tests']}, "
        f"suspicious {counts['suspicious'] + counts['segfault']}, "
        f"not checked {counts['not checked']}",
        f"- equivalent (tools/mutation-equivalent.txt): {len(equivalent)} "
        f"({100.0 * len(equivalent) / total if total else 0:.1f}% of all)",
        f"- **score: {killed} killed / {judged} non-equivalent = {score:.1f}%**"
        + (f" (of the {total - counts['not checked']} mutants the run reached: it was stopped)"
           if counts["not checked"] else ""),
        "",
        "| module | mutants | not checked | killed | survived | equivalent | score |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    by_module: dict[str, Counter] = {}
    for name, (path, status) in results.items():
        c = by_module.setdefault(module_of(path), Counter())
        c["all"] += 1
        c["unchecked"] += status == "not checked"
        c["killed"] += status in KILLED
        c["equivalent"] += name in equivalent
        c["survived"] += status not in KILLED | {"not checked"} and name not in equivalent
    for module, c in sorted(by_module.items()):
        judged_here = c["all"] - c["equivalent"] - c["unchecked"]
        pct = f"{100.0 * c['killed'] / judged_here:.1f}%" if judged_here else "-"
        out.append(f"| {module} | {c['all']} | {c['unchecked']} | {c['killed']} | "
                   f"{c['survived']} | {c['equivalent']} | {pct} |")
    survivors = sorted((m for m in results if results[m][1] not in KILLED | {"not checked"}
                        and m not in equivalents),
                       key=lambda m: (results[m][0], details[m][0], m))
    out += ["", f"## Survivors ({len(survivors)})", ""]
    out += [_row(m, results, details) for m in survivors] or ["None."]
    out += ["", f"## Equivalent ({len(equivalent)})", ""]
    for m in sorted(equivalent, key=lambda m: (results[m][0], details[m][0])):
        out += [_row(m, results, details), f"  - why: {equivalents[m]}"]
    if stale:
        out += ["", "## Stale entries in tools/mutation-equivalent.txt", "",
                "Killed, or no longer made (the function changed): remove them.", ""]
        out += [f"- `{m}`" for m in stale]
    return "\n".join(out) + "\n"


def _row(mutant, results, details) -> str:
    path, status = results[mutant]
    line, before, after = details[mutant]
    note = "" if status == "survived" else f" ({status})"
    return f"- {path}:{line} `{mutant.rpartition('.')[2]}`{note}: `{before}` → `{after}`"


def run_mutmut(resume: bool, children: int) -> tuple[float, float]:
    """Run ``mutmut run`` and return its ``(wall, cpu)`` seconds, its workers included."""
    if not resume:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    code = subprocess.call([sys.executable, "-m", "mutmut", "run", "--max-children",
                            str(children)], cwd=ROOT)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code:
        raise SystemExit(f"mutmut run exited with {code}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def check_cache_untouched() -> None:
    """Warn when a mutant rewrote the copied digits20 cache that later mutants read."""
    for copy in (ROOT / "mutants" / "data" / "cache").glob("*.npz"):
        original = ROOT / "data" / "cache" / copy.name
        if original.exists() and original.read_bytes() != copy.read_bytes():
            print(f"warning: {copy} differs from {original}: results after it may be wrong")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true", help="run mutmut first")
    parser.add_argument("--resume", action="store_true", help="with --run: keep the last results")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--cpu", type=float, help="CPU seconds the run took")
    parser.add_argument("--wall", type=float, help="wall seconds the run took")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    os.chdir(ROOT)  # mutmut reads its settings from ./pyproject.toml
    if args.run:
        args.wall, args.cpu = run_mutmut(args.resume, args.children)
        check_cache_untouched()
    results = read_results(ROOT / "mutants")
    if not results:
        raise SystemExit("no mutmut results under mutants/: run `make mutate` first")
    equivalents = read_equivalents()
    details = {m: describe(m, path) for m, (path, status) in results.items()
               if status not in KILLED | {"not checked"}}
    args.out.write_text(render(results, equivalents, details, args.cpu, args.wall))
    print(args.out.read_text().split("\n## ")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
