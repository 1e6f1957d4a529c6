"""The import graph of src/firesets, read with ast: acyclic, and the book layers (analysis, plots, widgets) are
imported by no core module (only the benchmark may read analysis)."""
import ast
from pathlib import Path

import firesets

ROOT = Path(firesets.__file__).resolve().parent
BOOK_LAYERS = ("analysis", "plots", "widgets")


def _module_name(path: Path) -> str:
    parts = ("firesets",) + path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict:
    """module -> set of firesets modules it imports (at any depth of its body, lazy imports included)."""
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    mod = ".".join(base + ([node.module] if node.module else []))
                else:
                    mod = node.module or ""
                # `from pkg import sub` depends on the submodule, `from pkg import name` on pkg itself
                targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod for a in node.names]
            for t in targets:
                if t in modules and t != name:
                    deps.add(t)
        graph[name] = deps
    return graph


def _layer(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_graph_is_read():
    g = _graph()
    assert "firesets.steppers" in g["firesets.training"]  # training imports steppers
    assert "firesets.steps" in g["firesets.steppers"]
    assert "firesets.network" in g["firesets.steps"]


def test_import_graph_is_acyclic():
    g = _graph()
    state = {}

    def visit(node, path):
        state[node] = "open"
        for dep in sorted(g[node]):
            if state.get(dep) == "open":
                cycle = path[path.index(dep):] + [dep]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep, path + [dep])
        state[node] = "done"

    for node in sorted(g):
        if node not in state:
            visit(node, [node])


def test_book_layers_are_not_imported_by_core_modules():
    g = _graph()
    for name, deps in g.items():
        layer = _layer(name)
        if layer in BOOK_LAYERS:
            continue
        for dep in deps:
            if _layer(dep) in BOOK_LAYERS:
                assert layer == "bench" and _layer(dep) == "analysis", f"{name} imports {dep}"


def test_steppers_do_not_import_training():
    g = _graph()
    assert "firesets.training" not in g["firesets.steppers"]
    assert "firesets.training" not in g["firesets.steps"]
