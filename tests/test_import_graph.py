"""The package's import graph, read from the source with ast: no import cycles, and core imports nothing above it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "desktop_app"
CORE = "desktop_app.core"
# Qt in core is also caught at run time by tests/core/test_no_qt_in_core.py; this catches what import time never
# runs (an import inside a function or under TYPE_CHECKING), which that test cannot see.
QT = ("PySide6", "shiboken6")


def modules_of(root: Path, package: str) -> dict[str, Path]:
    """Every .py file under root/package by its dotted name; a package's __init__.py is the package's name."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(source: str, module: str, is_package: bool, known: set[str]) -> dict[str, int]:
    """Every module `module` imports, anywhere in it (functions and `if TYPE_CHECKING:` included), with the first
    line that does. `from X import name` is the module X.name when that exists, else X (for a package, its
    __init__); relative imports are resolved against the module's package. The parent packages Python runs on
    the way (`import a.b.c` also runs a and a.b) are not edges: otherwise a package whose __init__ imports its
    modules would be in a cycle with each of them that names a sibling in full."""
    package = module if is_package else module.rpartition(".")[0]
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # one dot is the module's own package, each further dot one package up
                here = package.rsplit(".", node.level - 1)[0]
                base = f"{here}.{base}" if base else here
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            if target != module:  # a package naming itself in its __init__ is no dependency
                found[target] = min(found.get(target, node.lineno), node.lineno)
    return found


def import_graph(root: Path, package: str) -> dict[str, dict[str, int]]:
    """module -> {imported module: first line}, for every module of the package (nothing is imported or run)."""
    modules = modules_of(root, package)
    known = set(modules)
    return {name: imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", known)
            for name, path in modules.items()}


def import_cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in graph:
                continue  # outside the package: a library cannot import us back
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

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(cycles)


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def wrong_way_imports(graph: dict[str, dict[str, int]], lower: str, forbidden: tuple[str, ...]) -> list[str]:
    """'importer:line imports target' for each module under `lower` that imports one under a `forbidden` name."""
    return [f"{module}:{line} imports {target}"
            for module, targets in sorted(graph.items()) if _under(module, lower)
            for target, line in sorted(targets.items()) if any(_under(target, f) for f in forbidden)]


def describe(cycles: list[list[str]], graph: dict[str, dict[str, int]]) -> str:
    """Each cycle with the imports that close it, so the message says where to cut."""
    lines = []
    for cycle in cycles:
        lines.append("cycle: " + ", ".join(cycle))
        lines += [f"    {m}:{graph[m][t]} imports {t}" for m in cycle for t in sorted(graph[m]) if t in cycle]
    return "\n".join(lines)


# ---- the checker on a package small enough to know the answer ---------------------------------------------
def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, dict[str, int]]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return import_graph(tmp_path, "pkg")


ACYCLIC = {
    "pkg/__init__.py": "",
    "pkg/core/__init__.py": "VERSION = 1\n",
    "pkg/core/a.py": "from pkg.core import b\n",  # the module pkg.core.b, not the package
    "pkg/core/b.py": "from __future__ import annotations\n\nimport json\n",
    "pkg/core/c.py": "from .b import json\nfrom . import VERSION\n",  # pkg.core.b, and pkg.core's __init__
    "pkg/gui/window.py": "from ..core import a\nimport pkg.core.c\n",  # downward: allowed
}


def test_an_acyclic_package_passes_and_imports_resolve(tmp_path):
    graph = _package(tmp_path, ACYCLIC)
    assert set(graph) == {"pkg", "pkg.core", "pkg.core.a", "pkg.core.b", "pkg.core.c", "pkg.gui.window"}
    assert graph["pkg.core.a"] == {"pkg.core.b": 1}
    assert graph["pkg.core.c"] == {"pkg.core.b": 1, "pkg.core": 2}
    assert graph["pkg.gui.window"] == {"pkg.core.a": 1, "pkg.core.c": 2}
    assert import_cycles(graph) == []
    assert wrong_way_imports(graph, "pkg.core", ("pkg.gui", *QT)) == []


def test_a_cycle_is_found_through_a_function_local_import_and_through_a_package_init(tmp_path):
    graph = _package(tmp_path, {
        **ACYCLIC,
        # b imports a back only when the function runs: still a cycle in the design
        "pkg/core/b.py": "def f():\n    from . import a\n    return a\n",
        # the package's __init__ imports d, and d takes a name from the __init__
        "pkg/core/__init__.py": "VERSION = 1\nfrom pkg.core import d\n",
        "pkg/core/d.py": "from pkg.core import VERSION\n",
    })
    assert import_cycles(graph) == [["pkg.core", "pkg.core.d"], ["pkg.core.a", "pkg.core.b"]]
    assert "pkg.core.b:2 imports pkg.core.a" in describe(import_cycles(graph), graph)


def test_a_wrong_way_import_is_found_under_type_checking_and_in_a_function(tmp_path):
    graph = _package(tmp_path, {
        **ACYCLIC,
        "pkg/core/e.py": ("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from pkg.gui.window import Window\n\n"
                          "def show():\n    from PySide6.QtWidgets import QMessageBox\n"),
        "pkg/gui_extra.py": "",
        "pkg/core/f.py": "import pkg.gui_extra\n",  # pkg.gui_extra is not under pkg.gui
    })
    assert wrong_way_imports(graph, "pkg.core", ("pkg.gui", *QT)) == [
        "pkg.core.e:7 imports PySide6.QtWidgets", "pkg.core.e:4 imports pkg.gui.window"]


# ---- desktop_app ----------------------------------------------------------------------------------------------
def test_desktop_app_has_no_import_cycles():
    graph = import_graph(ROOT, PACKAGE)
    assert len(graph) > 40, sorted(graph)  # the walk found the package
    cycles = import_cycles(graph)
    assert not cycles, "modules that import each other, directly or around a loop:\n" + describe(cycles, graph)


def test_core_imports_nothing_above_it():
    graph = import_graph(ROOT, PACKAGE)
    # everything of the app outside core: gui, cli, cli_common, cli_workflow, config, __main__ (the package's
    # own __init__ holds only the version)
    above = tuple(sorted({".".join(m.split(".")[:2]) for m in graph} - {PACKAGE, CORE}))
    assert {"desktop_app.gui", "desktop_app.cli", "desktop_app.cli_workflow", "desktop_app.config"} <= set(above)
    wrong = wrong_way_imports(graph, CORE, above + QT)
    assert not wrong, "core must run without a window, a command line or the app's settings:\n" + "\n".join(wrong)
