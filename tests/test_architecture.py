"""The architecture, stated as rules that fail CI when a change crosses them.

* Layers: ``web`` may use ``workflows`` and ``engine``; ``workflows`` may use ``engine``;
  ``engine`` uses neither (and imports no Flask).
* Packages with a public surface (``engine.sandbox``, ``workflows.plan_import``,
  ``workflows.ledger``, ``workflows.report``): code outside a package imports only the
  package itself, never its modules. Tests may open a package's internals to test them.
* No import cycles between modules (imports made only for type checking do not count).
* No source file over 400 lines.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"engine": set(), "workflows": {"engine"}, "web": {"workflows", "engine"}}
SURFACES = ("engine.sandbox", "workflows.plan_import", "workflows.ledger", "workflows.report")
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    found = {}
    for top in LAYERS:
        for path in (ROOT / top).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def _imports(name: str) -> tuple[tuple[str, int, bool], ...]:
    """(imported module, line, only for type checking) for every import of a project module."""
    return _parsed_imports(name)


@functools.cache  # every check walks every module's imports: parse each file once per test process
def _parsed_imports(name: str) -> tuple[tuple[str, int, bool], ...]:
    return tuple(_walk_imports(name))


def _walk_imports(name: str) -> Iterator[tuple[str, int, bool]]:
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = name if _is_package(name) else name.rpartition(".")[0]
    for node in ast.walk(tree):
        typing_only = _type_checking_only(node, parents)
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _project(alias.name, node.lineno, typing_only)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                if f"{base}.{alias.name}" in MODULES:  # ``from pkg import module``
                    yield f"{base}.{alias.name}", node.lineno, typing_only
                else:  # ``from module import name``
                    yield from _project(base, node.lineno, typing_only)


def _project(target: str, line: int, typing_only: bool) -> Iterator[tuple[str, int, bool]]:
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    if target:
        yield target, line, typing_only


def test_layers_point_down_only() -> None:
    crossings = [
        f"{name} line {line} imports {target}"
        for name in MODULES
        for target, line, _ in _imports(name)
        if (top := target.split(".")[0]) != (own := name.split(".")[0]) and top not in LAYERS[own]
    ]
    assert crossings == []


@pytest.mark.parametrize("surface", SURFACES)
def test_packages_are_used_through_their_surface(surface: str) -> None:
    assert surface in MODULES and _is_package(surface), f"{surface} should be a package"
    private = [
        f"{name} line {line} imports {target}"
        for name in MODULES
        if not (name == surface or name.startswith(surface + "."))
        for target, line, _ in _imports(name)
        if target.startswith(surface + ".")
    ]
    assert private == []


def find_cycles(graph: dict[str, set[str]]) -> list[str]:
    """Every cycle a depth-first walk of ``graph`` meets, as ``a -> b -> a``."""
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append(" -> ".join([*stack[stack.index(target):], target]))
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    return cycles


def test_no_import_cycles() -> None:
    graph = {name: {t for t, _, typing_only in _imports(name) if not typing_only and t != name} for name in MODULES}
    assert find_cycles(graph) == []


def test_no_file_is_too_long() -> None:
    roots = [*LAYERS, "tests", "bench"]
    long_files = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for root in roots
        for path in (ROOT / root).rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert long_files == []


def test_the_checks_can_fail() -> None:
    """The detectors find what they look for: a known cycle, known imports, known layers."""
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a -> b -> c -> a"]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
    imported = {target for target, _, _ in _imports("engine.deploy_checks")}
    assert "engine.sandbox" in imported
    assert any(target.startswith("workflows") for target, _, _ in _imports("web.auth"))
