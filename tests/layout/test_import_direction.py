"""The package reads as the pipeline: imports only run down it, and nothing imports in a circle.

Layers, lowest first (a module may import its own layer and the ones below):
declarations and the shared basics (canonical: digests of canonical JSON; records: the base of the plan's
and the customer files' records; signals: handlers for a span of the main thread; collector: the cyclic
collector paused for a span) ->
integrations (Partner Center, mail, emulator, price sheets) ->
observe, invitations -> plan -> apply -> gitops -> render -> pipeline -> commands.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "cspsync"

LAYERS: list[set[str]] = [
    {
        "__init__",
        "errors",
        "git",
        "workspace",
        "secrets",
        "currency",
        "canonical",
        "records",
        "signals",
        "collector",
        "threads",
        "declarations",
    },
    {"partnercenter", "mail", "emulator", "templates", "target", "pricing"},
    {"observe", "invitations"},
    {"plan"},
    {"apply"},
    {"gitops"},
    {"render"},
    {"pipeline"},
    {"commands", "cli", "__main__"},
]


def _layer(top: str) -> int:
    for index, members in enumerate(LAYERS):
        if top in members:
            return index
    raise AssertionError(f"cspsync/{top} is in no layer of {__name__}: add it where it belongs in the pipeline")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> list[tuple[int, str]]:
    """Modules of cspsync that ``path`` imports at run time (``if TYPE_CHECKING:`` blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _type_checking(node)
               for child in node.body for n in ast.walk(child)}  # fmt: skip
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            if base == "cspsync":
                found += [(node.lineno, f"cspsync.{a.name}") for a in node.names if a.name != "__version__"]
            elif base.startswith("cspsync."):
                found.append((node.lineno, base))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("cspsync.")]
    return found


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _top(module: str) -> str:
    return module.split(".")[1] if "." in module else "__init__"


def test_imports_only_run_down_the_pipeline() -> None:
    upward = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}"
        for module, path in MODULES.items()
        for line, target in _imports(path)
        if _layer(_top(target)) > _layer(_top(module))
    ]
    assert upward == []


def test_the_emulator_imports_nothing_of_the_product_but_errors() -> None:
    """The emulator stands for Microsoft's service: it must not share cspsync's code (or its misreadings)."""
    foreign = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}"
        for module, path in MODULES.items()
        if module.startswith("cspsync.emulator")
        for line, target in _imports(path)
        if not target.startswith("cspsync.emulator") and target != "cspsync.errors"
    ]
    assert foreign == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("level", ["module", "package"])
def test_nothing_imports_in_a_circle(level: str) -> None:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        source = module if level == "module" else _top(module)
        for _, target in _imports(path):
            if target in MODULES or level == "package":
                node = target if level == "module" else _top(target)
                if node != source and not (level == "module" and module.startswith(target + ".")):
                    graph.setdefault(source, set()).add(node)
    assert _cycles(graph) == []
