"""The package's shape, read from the source (nothing is imported): data flows one way.

Layers, bottom to top: errors and version → model → ops → scene → backends → export →
catalog → the pipeline (animation, explain, renderers) → batch → cli. A module may import its
own layer and the layers below it, never one above (lazy imports inside functions included);
there are no import cycles (imports for type checkers only do not count); only the backends
import matplotlib; no module is over 500 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "convanim"
LAYERS = [
    ("errors", "version"),
    ("model",),
    ("ops",),
    ("scene",),
    ("backends",),
    ("export",),
    ("catalog",),
    ("animation", "explain", "render", "render_volume"),
    ("batch",),
    ("cli", "__main__", ""),  # "" is the package's own __init__: the public API
]
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(["convanim", *parts])] = path
    return found


MODULES = _modules()


def _layer(module: str) -> int:
    top = module.split(".")[1] if module.count(".") else ""
    for rank, names in enumerate(LAYERS):
        if top in names:
            return rank
    raise AssertionError(f"{module} is in no layer; add its sub-package to LAYERS")


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of the code that runs: ``if TYPE_CHECKING:`` blocks are for type checkers."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and getattr(child.test, "id", "") == "TYPE_CHECKING":
                todo.extend(child.orelse)
                continue
            todo.append(child)
    return out


def _imports(module: str, path: Path) -> set[str]:
    """The convanim modules ``module`` imports when it runs, at any depth of its code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in _runtime_nodes(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            names = [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("convanim") and name != module:
                out.add(name)
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_flow(module: str) -> None:
    mine = _layer(module)
    upward = sorted(m for m in GRAPH[module] if m != "convanim" and _layer(m) > mine)
    assert not upward, f"{module} (layer {mine}) imports from above: {upward}"


def test_no_import_cycles() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert not cycles, cycles


def test_only_the_backends_import_matplotlib() -> None:
    importers = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            if any(n.split(".")[0] == "matplotlib" for n in names):
                importers.append(module)
                break
    assert importers and all(m.startswith("convanim.backends.") for m in importers), importers


def test_no_module_is_over_the_line_limit() -> None:
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_the_check_sees_an_upward_import() -> None:
    assert _layer("convanim.scene.planar") < _layer("convanim.backends.mpl")
    assert "convanim.scene.display" in GRAPH["convanim.backends.mpl"]
