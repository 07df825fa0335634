"""The one-way dependency graph: the import-linter contracts of pyproject.toml (the design of
docs/architecture.md) hold, each of them fails on a module that breaks it, and no module of clika
takes part in an import cycle (function-level imports count too)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


# Modules planted in a copy of the package: path in clika, what it imports, the contracts that must fail.
PLANTED = {
    "metrics/_upward.py": ("clika.runner", ("layers", "results-without-models")),
    "_unplaced.py": ("clika.errors", ("layers",)),  # a top-level module in no layer
    "conduct/_beside.py": ("clika.runner", ("workflows",)),
    "backends/_upward.py": ("clika.choice", ("stages",)),
    "tasks/_upward.py": ("clika.data", ("inputs",)),
    "backends/_reads_results.py": ("clika.store", ("models-without-results",)),
    "metrics/_reads_store.py": ("clika.store", ("metrics-store",)),
    "cli/_past_the_api.py": ("clika.metrics.records", ("cli-api-only",)),
}


def _broken_sections(report: str) -> dict[str, str]:
    """Contract name -> its part of lint-imports' "Broken contracts" listing."""
    lines = report.split("Broken contracts", 1)[1].splitlines()
    heads = [i for i in range(len(lines) - 1) if lines[i].strip() and set(lines[i + 1].strip()) == {"-"}]
    return {lines[h].strip(): "\n".join(lines[h + 2:nxt]) for h, nxt in zip(heads, heads[1:] + [len(lines)])}


def test_every_contract_fails_on_a_module_that_breaks_it(tmp_path):
    graph = _graph()  # the real tree: metrics never reach the runner; the CLI reaches metrics only through the api
    assert not graph.find_shortest_chain(importer="clika.metrics.compute", imported="clika.runner")
    chain = graph.find_shortest_chain(importer="clika.cli", imported="clika.metrics.compute")
    assert [m for m in chain if not m.startswith("clika.cli")][0] == "clika.api"

    copy = tmp_path / "clika"
    shutil.copytree(REPO / "src" / "clika", copy, ignore=shutil.ignore_patterns("__pycache__"))
    for path, (target, _) in PLANTED.items():
        (copy / path).write_text(f"import {target}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "COLUMNS": "1000"}  # the copy first; no wrapped names
    done = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--config", str(REPO / "pyproject.toml"),
                           "--no-cache"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    broken = _broken_sections(done.stdout)
    names = {c["id"]: c["name"] for c in _contracts()}
    for path, (target, contract_ids) in PLANTED.items():
        module = "clika." + path.removesuffix(".py").replace("/", ".")
        shown = module if target == "clika.errors" else f"{module} -> {target}"
        for contract_id in contract_ids:
            assert shown in broken.get(names[contract_id], ""), (contract_id, shown, done.stdout)
    assert {i for _, ids in PLANTED.values() for i in ids} == set(names)  # each contract is shown to fail
