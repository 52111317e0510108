"""No import circle, in the host package or the firmware, and the host's layers
import one way only: every import counts, the ones inside functions too (they
hide a circle from Python, not from a reader)."""

import ast
from pathlib import Path

REPO = Path(__file__).parents[1]
HOST = REPO / "host" / "ontspan"
FIRMWARE = REPO / "firmware"


def _host_graph(host: Path = HOST) -> dict[str, set[str]]:
    """ontspan.a.b -> the ontspan modules it imports (relative imports resolved;
    ontspan.firmware is the firmware folder)."""
    mods = {}
    for p in host.rglob("*.py"):
        parts = ["ontspan", *p.relative_to(host).with_suffix("").parts]
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    mods |= {f"ontspan.firmware.{p.stem}": p for p in FIRMWARE.glob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        base = m.split(".") if p.name == "__init__.py" else m.split(".")[:-1]
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                src = node.module or ""
                if node.level:
                    src = ".".join(base[: len(base) - node.level + 1] + ([src] if src else []))
                targets = [src] + [f"{src}.{a.name}" for a in node.names]
            else:
                continue
            for t in targets:
                parts = t.split(".")
                while parts and ".".join(parts) not in mods:
                    parts.pop()
                if parts and ".".join(parts) != m:
                    graph[m].add(".".join(parts))
    return graph


def _firmware_graph() -> dict[str, set[str]]:
    """Firmware modules import each other by bare name (MicroPython's flat path)."""
    mods = {p.stem: p for p in FIRMWARE.glob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            graph[m] |= {n.split(".")[0] for n in names if n.split(".")[0] in mods} - {m}
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative enough)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_host_has_no_import_circle():
    graph = _host_graph()
    assert "ontspan.shared" in graph["ontspan.protocols.timeline"]  # the scan sees imports
    assert _circles(graph) == []


def test_firmware_has_no_import_circle():
    graph = _firmware_graph()
    assert "contract" in graph["link"]
    assert _circles(graph) == []


def test_a_circle_is_found():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# The host's layers, lowest first (docs/architecture.md): a package imports its own
# modules and those of lower rows only; two packages of one row never import each other.
# "base" is every module directly in ontspan/ (contract, errors, paths, ...) and the firmware.
LAYERS = [
    {"base"},
    {"protocols"},
    {"plan", "preview", "device"},
    {"sim", "archive", "load"},
    {"report"},
    {"cli", "app"},
]
PACKAGES = set().union(*LAYERS) - {"base"}
# the one sideways import: `ontspan app` (cli/app.py) starts the app's server, nothing more
SIDEWAYS = {("ontspan.cli.app", "ontspan.app.server")}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in PACKAGES else "base"


def _layer_violations(graph: dict[str, set[str]]) -> list[str]:
    row = {pkg: i for i, pkgs in enumerate(LAYERS) for pkg in pkgs}
    bad = []
    for m, targets in graph.items():
        a = _package(m)
        for t in sorted(targets):
            b = _package(t)
            if a != b and row[b] >= row[a] and (m, t) not in SIDEWAYS:
                bad.append(f"{m} imports {t}: {a} may not import {b}")
    return bad


def test_every_host_package_has_a_layer():
    packages = {p.name for p in HOST.iterdir() if (p / "__init__.py").exists()}
    assert packages <= PACKAGES, packages - PACKAGES


def test_host_imports_flow_down_the_layers():
    assert _layer_violations(_host_graph()) == []


def test_a_planted_cli_import_in_the_library_is_found(tmp_path):
    import shutil

    host = tmp_path / "ontspan"
    shutil.copytree(HOST, host, ignore=shutil.ignore_patterns("__pycache__"))
    page = host / "report" / "page.py"
    page.write_text(page.read_text() + "\n\ndef _planted():\n    from ..cli import main  # noqa\n")
    bad = _layer_violations(_host_graph(host))
    assert "ontspan.report.page imports ontspan.cli.main: report may not import cli" in bad
    assert {b.split(" imports ")[0] for b in bad} == {"ontspan.report.page"}
