"""How the server holds up in a classroom: load, churn, hostile input and a killed worker.

    .venv/bin/python bench/load.py [--server dev|gunicorn|both] [--scenario NAME ...]
                                   [--quick] [--out docs/reliability.md]

Each scenario of issue 12 runs against a freshly started server (the development
server ``python -m server`` and/or the gunicorn command of docs/deploy.md, with
``--graceful-timeout 2 --no-control-socket``) on a free loopback port with a
temporary models directory; the server is stopped when the scenario ends. Clients
are threads in this process, on the same machine. Everything is bounded in count
and time; ``--quick`` shrinks it to seconds (a smoke run: its figures are not the
targets' figures). Prints markdown; ``--out`` also writes it to a file.
Scenarios: classroom, socket-predict, http-predict, cycles, fuzz, kill-worker.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_scenarios import FULL, POOL_FILL, QUICK, SCENARIOS, Result  # noqa: E402
from loadlib import ROOT  # noqa: E402
from loadserver import ServerProcess  # noqa: E402

TITLES = {
    "classroom": "N students training and drawing",
    "socket-predict": "Predicts over the socket while two runs train",
    "http-predict": "`POST /api/predict` from many clients",
    "cycles": "Connect–train–disconnect cycles",
    "fuzz": "Protocol fuzz",
    "kill-worker": "A worker killed mid-run",
}
DESCRIPTIONS = {
    "classroom": "Each student connects, trains digits20 (TNC, 25 hidden units, {iters} "
                 "iterations) and, from its first iteration on, sends a 280x280 gray8 "
                 "drawing every {draw:g} s until `done`; `/healthz` is polled every 0.1 s "
                 "meanwhile. N = {students}.",
    "socket-predict": "{n} clients each train a small digits20 model, then send a 280x280 "
                      "gray8 drawing every 250 ms (never two in flight) for {secs:g} s while "
                      "two other connections train (gd, 200 hidden units).",
    "http-predict": "A digits20 model is trained and saved over the socket. Then: {paced} "
                    "clients each POST one 400-float vector a second for {psecs:g} s; {b2b} "
                    "clients POST back to back until {total} requests; a whole canvas per "
                    "request (reported, not gated). One keep-alive connection per client.",
    "cycles": "{cycles} cycles of: connect, train digits20 (2 TNC iterations), disconnect — odd "
              "cycles right after the first iteration (mid-run), even ones after `done`. "
              "RSS and threads of the serving process (gunicorn's worker) from /proc, with "
              "the server idle. Before the cycles {pool} connections train at once: "
              "gunicorn's request pool grows to the most requests served at once and never "
              "shrinks (bounded by `--threads`, not a leak), so it is filled first; a count "
              "is read once it has settled (3 s at cycle 10, up to 10 s at the end).",
    "fuzz": "{frames} frames from `bench/loadfuzz.py`: valid and mutated messages of every "
            "client type in docs/protocol.md, garbage text, binary frames, pings, messages "
            "over the size limit and non-UTF-8 text. Reconnects after each close.",
    "kill-worker": "A model is saved; a long training runs; the gunicorn worker gets "
                   "SIGKILL. Timed until `/healthz` answers; then the saved model is listed "
                   "and predicts.",
}


def machine_facts(python: str) -> list[tuple[str, str]]:
    """Cores, load, memory, versions and the BLAS kernel the server's interpreter loads."""
    probe = ("import json, numpy, scipy.optimize, importlib.metadata as m\n"
             "from threadpoolctl import threadpool_info\n"
             "print(json.dumps({'blas': [f\"{i['internal_api']} {i.get('version')} "
             "{i.get('architecture')} ({i['num_threads']} threads)\" for i in threadpool_info()],"
             " 'numpy': numpy.__version__, 'gunicorn': m.version('gunicorn')}))")
    try:
        info = json.loads(subprocess.run([python, "-c", probe], capture_output=True, text=True,
                                         timeout=60, check=True).stdout)
    except (subprocess.SubprocessError, ValueError, OSError) as exc:
        info = {"blas": [f"unknown ({exc.__class__.__name__})"], "numpy": "?", "gunicorn": "?"}
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal:")), "0")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip() or "?"
    return [
        ("cores", f"{os.cpu_count()} ({len(os.sched_getaffinity(0))} usable)"),
        ("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("memory", f"{int(mem) / 1024**2:.1f} GB"),
        ("CPU", platform.processor() or platform.machine()),
        ("Python, numpy, gunicorn", f"{platform.python_version()}, {info['numpy']}, "
                                    f"{info['gunicorn']}"),
        ("BLAS (threadpoolctl, server interpreter)", "; ".join(info["blas"])),
        ("commit", commit),
    ]


def run_one(name, kind, scale, workdir: Path):
    """Start a server, run one scenario, stop the server: ``(Result, command, seconds)``."""
    server = ServerProcess(kind, workdir / f"{name}-{kind}")
    t0 = time.monotonic()
    try:
        server.start()
        result = SCENARIOS[name](server, scale)
    except Exception as exc:  # noqa: BLE001 - a broken scenario is a finding, not a crash
        result = Result()
        result.add("scenario completed", f"no: {exc!r}", "yes", False)
        result.notes.append(traceback.format_exc(limit=3).strip().replace("\n", " / "))
    finally:
        server.stop()
    if server.proc is not None:
        tracebacks = server.tracebacks()
        result.add("tracebacks in the server's log", str(tracebacks), "0", tracebacks == 0)
    return result, (server.command_env, server.command), time.monotonic() - t0


def shown_command(command) -> str:
    """The server command (its environment assignments first) with the interpreter, port
    and temporary paths made generic."""
    env, argv = command
    text = " ".join([*(f"{k}={v}" for k, v in env.items()),
                     *(["python", *argv[1:]] if argv[0] == sys.executable else argv)])
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    text = re.sub(r"--port \d+", "--port PORT", text)
    return re.sub(r"--models-dir \S+", "--models-dir TMP/models", text)


def verdict(ok) -> str:
    return {True: "pass", False: "**FAIL**", None: ""}[ok]


def render(results, facts, args, commands, started) -> str:
    """The whole report as markdown."""
    scale = QUICK if args.quick else FULL
    rerun = "python bench/load.py --server {kind} --scenario {name}" + (
        " --quick" if args.quick else "")
    lines = [
        "# Reliability: load, churn, hostile input and a killed worker",
        "",
        f"Generated by `python bench/load.py{' --quick' if args.quick else ''} --server "
        f"{args.server}` on {started} (issue 12). Each scenario ran once, against a freshly "
        "started server on a loopback port, with the clients as threads on the same "
        "machine. Targets are issue 12's; the issue gates the gunicorn figures.",
    ]
    if args.quick:
        lines += ["", "**Quick run** (`--quick`): everything scaled down to seconds to prove "
                  "the suite runs; the figures are not comparable with the targets."]
    lines += ["", "## Machine", "", "| | |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in facts]
    lines += ["", "## Servers", ""]
    lines += [f"- {kind}: `{shown_command(cmd)}`" for kind, cmd in commands.items()]
    fmt = {"iters": scale.student_iters, "draw": scale.draw_interval,
           "students": ", ".join(map(str, scale.students)), "n": scale.socket_clients,
           "secs": scale.socket_seconds, "paced": scale.paced_clients,
           "psecs": scale.paced_seconds, "b2b": scale.b2b_clients, "total": scale.b2b_requests,
           "cycles": scale.cycles, "frames": scale.fuzz_frames, "pool": POOL_FILL}
    for name in args.scenario:
        lines += ["", f"## {TITLES[name]}", "", DESCRIPTIONS[name].format(**fmt), ""]
        lines += ["| server | figure | measured | target | verdict |",
                  "| --- | --- | --- | --- | --- |"]
        notes = []
        for kind in kinds(args.server):
            result, seconds = results[(name, kind)]
            lines += [f"| {kind} | {fig} | {val} | {target} | {verdict(ok)} |"
                      for fig, val, target, ok in result.rows]
            lines.append(f"| {kind} | scenario time | {seconds:.0f} s | | |")
            notes += [f"- {kind}: {note}" for note in result.notes]
        lines += [""] + notes + ([""] if notes else [])
        lines.append("Rerun: " + ", ".join(f"`{rerun.format(kind=k, name=name)}`"
                                           for k in kinds(args.server)))
    failed = sum(ok is False for r, _ in results.values() for *_, ok in r.rows)
    lines += ["", f"Targets missed: {failed}.", ""]
    return "\n".join(lines)


def kinds(server: str) -> list[str]:
    return ["dev", "gunicorn"] if server == "both" else [server]


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="bench/load.py", description=__doc__.split("\n")[0])
    parser.add_argument("--server", choices=["dev", "gunicorn", "both"], default="both")
    parser.add_argument("--scenario", nargs="+", choices=list(SCENARIOS), default=None,
                        help="scenarios to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="everything scaled to seconds")
    parser.add_argument("--out", type=Path, help="also write the markdown here")
    args = parser.parse_args(argv)
    args.scenario = args.scenario or list(SCENARIOS)
    return args


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    scale = QUICK if args.quick else FULL
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    facts = machine_facts(sys.executable)
    results, commands = {}, {}
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="backprop-load-") as tmp:
        for name in args.scenario:
            for kind in kinds(args.server):
                print(f"[load] {name} on {kind} ...", file=sys.stderr, flush=True)
                result, command, seconds = run_one(name, kind, scale, Path(tmp))
                results[(name, kind)] = (result, seconds)
                commands[kind] = command
                print(f"[load] {name} on {kind}: {seconds:.0f} s", file=sys.stderr, flush=True)
    facts.insert(2, ("load average at the end", " ".join(f"{x:.2f}" for x in os.getloadavg())))
    text = render(results, facts, args, commands, started)
    print(text)
    print(f"[load] total {time.monotonic() - t0:.0f} s", file=sys.stderr)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
