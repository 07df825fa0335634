"""The one-way dependency graph: the import-linter contracts of pyproject.toml hold, and no
module of clika takes part in an import cycle (function-level imports count too)."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_layers_contract_holds():
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(REPO / "pyproject.toml")) == 0


def _graph():
    import grimp

    return grimp.build_graph("clika", include_external_packages=False)


def _contracts() -> list[dict]:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def test_no_module_is_in_an_import_cycle():
    graph = _graph()
    modules = sorted(graph.modules)
    edges = {m: {d for d in graph.find_modules_directly_imported_by(m)
                 if not d.startswith(m + ".")} for m in modules}  # a package's __init__ may import its children
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for m in modules:
        if m not in state:
            visit(m, [])
    assert cycles == [], " ; ".join(" -> ".join(c) for c in cycles[:5])


def test_the_command_line_imports_only_the_api_and_errors():
    graph = _graph()
    cli = {m for m in graph.modules if m == "clika.cli" or m.startswith("clika.cli.")}
    allowed = cli | {"clika.api", "clika.errors"}
    past_the_api = sorted((m, d) for m in cli for d in graph.find_modules_directly_imported_by(m) if d not in allowed)
    assert past_the_api == []
    # the contract that keeps it so forbids every other top-level module, new ones included
    [contract] = [c for c in _contracts() if c["type"] == "forbidden" and c["source_modules"] == ["clika.cli"]]
    top_level = {".".join(m.split(".")[:2]) for m in graph.modules if m != "clika"}
    assert set(contract["forbidden_modules"]) == top_level - {"clika.cli", "clika.api", "clika.errors"}


def test_the_contract_would_catch_a_violation(tmp_path):
    """The check is real: a layer importing upwards is reported (on a copy of the contract)."""
    graph = _graph()
    assert "clika.runner" in graph.find_upstream_modules("clika.metrics.compute") or \
        graph.find_modules_that_directly_import("clika.metrics.compute")
    assert not graph.find_shortest_chain(importer="clika.metrics.compute", imported="clika.runner")
    assert graph.find_shortest_chain(importer="clika.cli", imported="clika.metrics.compute")
