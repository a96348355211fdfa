"""The code's own checks, run by the test suite so that CI (``bash scripts/setup.sh``, then
pytest) fails on a new lint error, type error, import cycle or private import across rooms.

ruff's rules and mypy's scope are in pyproject.toml ([tool.ruff], [tool.mypy]).
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "shnor_lib"
# Sub-packages whose imports inside functions must say why (issue 16, room C); the others are
# being reorganised in their own rooms.
EXPLAINED_ROOMS = ("contract", "config", "io", "analysis")


def _tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> list[str]:
    """The shnor_lib modules a ``from … import …`` names (the module itself and any submodule imported)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    if node.level:
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    known = _modules()
    found = [base] if base in known else []
    found += [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
    return found


def _top_level_imports() -> dict[str, set[str]]:
    """Module → the shnor_lib modules it imports when it is imported (not in functions, not for typing only)."""
    graph: dict[str, set[str]] = {}
    for module, path in _modules().items():
        deps: set[str] = set()

        def visit(node: ast.AST, module: str = module, path: Path = path, deps: set[str] = deps) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    continue
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    continue
                if isinstance(child, ast.ImportFrom):
                    deps.update(_resolve(module, path, child))
                visit(child)

        visit(ast.parse(path.read_text(encoding="utf-8")))
        graph[module] = deps - {module}
    return graph


def test_ruff_finds_nothing():
    done = _tool("ruff", "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_no_type_error_in_the_checked_public_modules():
    done = _tool("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout


def test_every_public_function_of_the_type_checked_modules_is_annotated():
    # mypy only looks inside annotated functions: an unannotated public function escapes it.
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    files: list[Path] = []
    for entry in config["files"]:
        p = REPO / entry
        files += sorted(p.rglob("*.py")) if p.is_dir() else [p]
    missing = []
    for path in files:
        if path.name.startswith("_") and path.name != "__init__.py":
            continue  # a private module
        for node, owner in _public_functions(ast.parse(path.read_text(encoding="utf-8"))):
            args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            bare = [a.arg for a in args if a.annotation is None and a.arg not in ("self", "cls")]
            bare += [f"*{a.arg}" for a in (node.args.vararg, node.args.kwarg) if a is not None and a.annotation is None]
            if node.returns is None and node.name != "__init__":
                bare.append("return")
            if bare:
                missing.append(f"{path.relative_to(REPO)}:{node.lineno} {owner}{node.name}: {', '.join(bare)}")
    assert missing == []


def _public_functions(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            yield node, ""
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                        not item.name.startswith("_") or item.name in ("__init__", "__call__")):
                    yield item, f"{node.name}."


def test_the_package_has_no_import_cycle_at_module_top():
    graph = _top_level_imports()

    def reaches(start: str, goal: str) -> bool:
        seen, stack = set(), [start]
        while stack:
            for nxt in graph.get(stack.pop(), ()):
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return False

    cycles = sorted(f"{m} → {d}" for m, deps in graph.items() for d in deps if reaches(d, m))
    assert cycles == []




def test_no_module_imports_a_private_name_of_another_sub_package():
    found = set()
    for module, path in _modules().items():
        room = module.split(".")[1] if module.count(".") >= 1 and path.parent != PACKAGE else None
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            for target in _resolve(module, path, node)[:1]:
                target_room = target.split(".")[1] if target.count(".") >= 1 else None
                if target_room == room:
                    continue
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.endswith("__")]
                private += [p for p in target.split(".") if p.startswith("_") and not p.endswith("__")]
                if private:
                    found.add((str(path.relative_to(REPO)), target))
    assert sorted(found) == []


@pytest.mark.parametrize("room", EXPLAINED_ROOMS)
def test_an_import_inside_a_function_says_why_it_is_not_at_module_top(room):
    unexplained = []
    for path in sorted((PACKAGE / room).rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        tree = ast.parse("\n".join(lines))
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    above = lines[node.lineno - 2].strip()
                    if not (above.startswith("# here:") or "# here:" in lines[node.lineno - 1]):
                        unexplained.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert sorted(set(unexplained)) == []


@pytest.mark.parametrize("room", EXPLAINED_ROOMS)
def test_a_room_re_exports_public_names_of_its_modules_each_from_the_module_that_defines_it(room):
    import importlib

    package = importlib.import_module(f"shnor_lib.{room}")
    assert package.__all__, room
    for name in package.__all__:
        home = importlib.import_module(f"shnor_lib.{room}.{package._HOME[name]}")
        assert name in home.__all__, (room, name)
        value = getattr(home, name)
        assert getattr(package, name) is value
        if isinstance(value, type) or inspect.isfunction(value):
            assert value.__module__ == home.__name__, (room, name)  # its home, not a module re-exporting it
