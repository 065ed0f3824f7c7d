"""The walls of docs/architecture.md, checked by reading every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parent.parent / "server"
TRANSPORT_LIBS = {"flask", "flask_sock", "werkzeug", "socket", "simple_websocket"}

# A module may break a wall only here, each with its reason (docs/architecture.md).
EXCEPTIONS = {
    ("core/blas.py", "threading"): "one lock around the process-wide BLAS pools",
    ("core/modelfile.py", "json"): "the model file's metadata is JSON: a file format",
    ("core/rowsplit.py", "threading"): "a fit's evaluation runs its row blocks on the cores",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SERVER.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved, at any depth of the file."""
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def top(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


def files(*parts: str) -> list[Path]:
    out = []
    for part in parts:
        target = SERVER / part
        out += sorted(target.rglob("*.py")) if target.is_dir() else [target]
    return out


def allowed(path: Path, lib: str) -> bool:
    return (path.relative_to(SERVER).as_posix(), lib) in EXCEPTIONS


def test_the_resolver_sees_relative_and_nested_imports():
    names = imports(SERVER / "live" / "session.py")
    assert "server.protocol" in names and "server.live.outbox.Outbox" in names
    assert "server.preprocess" in imports(SERVER / "live" / "prediction.py")  # in a function


@pytest.mark.parametrize("path", files("core"), ids=str)
def test_the_core_imports_no_flask_threads_json_or_server_code(path):
    names = imports(path)
    banned = (top(names) & (TRANSPORT_LIBS | {"threading", "concurrent", "json"}))
    assert {lib for lib in banned if not allowed(path, lib)} == set()
    outside = {n for n in names if n.startswith("server.") and not n.startswith("server.core")}
    assert outside == set()


@pytest.mark.parametrize("path", files("protocol"), ids=str)
def test_the_protocol_imports_no_transport_threads_or_live_code(path):
    names = imports(path)
    assert top(names) & (TRANSPORT_LIBS | {"threading", "concurrent"}) == set()
    server = {n for n in names if n.startswith("server.")}
    assert all(n.startswith(("server.protocol", "server.core")) for n in server), server


@pytest.mark.parametrize("path", files("live", "threads.py"), ids=str)
def test_sessions_lab_and_outbox_import_no_socket_code(path):
    assert top(imports(path)) & TRANSPORT_LIBS == set()


@pytest.mark.parametrize("path", files("datasets.py", "datasources", "preprocess.py"), ids=str)
def test_the_data_part_imports_nothing_live_nor_the_wire(path):
    names = imports(path)
    assert top(names) & (TRANSPORT_LIBS | {"json"}) == set()
    assert not {n for n in names if n.startswith(("server.live", "server.protocol",
                                                   "server.api", "server.ws"))}


def test_only_the_ws_route_imports_flask_sock():
    users = {p.relative_to(SERVER).as_posix() for p in files(".") if "flask_sock" in
             top(imports(p))}
    assert users == {"ws.py"}


def test_every_exception_is_still_needed():
    for (rel, lib) in EXCEPTIONS:
        assert lib in top(imports(SERVER / rel)), f"{rel} no longer imports {lib}: drop it"
