"""The package's import graph: no cycles, and the layers depend one way.

raw → build → processed → report → render: ``sources`` and ``analysis`` know nothing of the build,
the reports or the renderer; the build knows nothing of reports; only the renderer and the CLI
know everything. Read from the source with :mod:`ast` (nothing imported), so a new import that
breaks the layering fails here with the two modules named.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

LIB = Path(__file__).resolve().parents[1] / "lib"


def _modules() -> dict[str, Path]:
    out = {}
    for f in (LIB / "lansanalys").rglob("*.py"):
        name = ".".join(f.relative_to(LIB).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = f
    return out


def _graph() -> nx.DiGraph:
    """Module → the lansanalys modules it imports (at any level, also inside functions)."""
    mods = _modules()
    g = nx.DiGraph()
    g.add_nodes_from(mods)
    for name, f in mods.items():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("lansanalys"):
                targets = [f"{node.module}.{a.name}" for a in node.names]
                targets = [t for t in targets if t in mods] or [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("lansanalys")]
            for t in targets:
                # A package's __init__ naming its own submodules is its public face, not a cycle.
                if t in mods and not t.startswith(name + "."):
                    g.add_edge(name, t)
    return g


def test_the_import_graph_has_no_cycles():
    cycles = list(nx.simple_cycles(_graph()))
    assert cycles == [], f"import cycles: {cycles[:5]}"


#: Layer → the packages it may not import.
FORBIDDEN = {
    "lansanalys.sources": ("pipeline", "report", "render", "fetch", "cli", "demo"),
    "lansanalys.analysis": ("pipeline", "report", "render", "fetch", "cli", "demo"),
    "lansanalys.pipeline": ("report", "render", "fetch", "cli"),
    "lansanalys.fetch": ("pipeline", "report", "render", "cli"),
    "lansanalys.report": ("pipeline", "render", "fetch", "cli", "demo"),
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layers_depend_one_way(layer):
    g = _graph()
    bad = [
        (a, b)
        for a, b in g.edges
        if (a == layer or a.startswith(layer + "."))
        and any(
            b == f"lansanalys.{p}" or b.startswith(f"lansanalys.{p}.") for p in FORBIDDEN[layer]
        )
    ]
    assert bad == [], f"{layer} imports what it may not: {bad}"


def test_a_service_type_is_defined_in_one_place():
    """Service-type codes appear as a list only in lansanalys.services."""
    listing = {"dagligvaror", "drivmedel", "apotek", "post_paket", "kontantuttag"}
    offenders = []
    for name, f in _modules().items():
        if name == "lansanalys.services":
            continue
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Dict, ast.List, ast.Tuple, ast.Set)):
                keys = node.keys if isinstance(node, ast.Dict) else node.elts
                consts = {k.value for k in keys if isinstance(k, ast.Constant)}
                if len(consts & listing) >= 4:
                    offenders.append(f"{name}:{node.lineno}")
    assert offenders == [], f"service types listed outside services.py: {offenders}"


def test_reading_raw_files_does_not_load_the_report_stack():
    """``import lansanalys.sources`` (a reader in a script, the build) loads no plotly and no
    report package: the top-level names load on first use."""
    import subprocess
    import sys

    code = (
        "import sys, lansanalys.sources, lansanalys.pipeline\n"
        "bad = [m for m in sys.modules if m.startswith(('plotly', 'lansanalys.report'))]\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
