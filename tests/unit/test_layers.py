"""DESIGN.md's layer rules, read from the source: the agent never sees the arena's hidden
model, and the arena uses only the CRM itself (domain types and store). import-linter
checks the same contracts in `make lint`; this test names the offending import."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AGENT_SIDE = ("graph", "agents", "tools", "prompts")
ARENA_MAY_USE = {"tools.domain", "tools.crm.store"}


def imports_of(package: str) -> list[tuple[Path, str]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
    return found


def test_agent_side_never_imports_the_arena() -> None:
    offending = [
        f"{path.relative_to(ROOT)} imports {module}"
        for package in AGENT_SIDE
        for path, module in imports_of(package)
        if module == "arena" or module.startswith("arena.")
    ]
    assert offending == []


def test_agent_side_never_opens_the_hidden_file() -> None:
    offending = [
        str(path.relative_to(ROOT))
        for package in AGENT_SIDE
        for path in (ROOT / package).rglob("*.py")
        if "hidden.sqlite" in path.read_text() or "hidden_path" in path.read_text()
    ]
    assert offending == []


def test_arena_uses_only_the_crm_itself() -> None:
    offending = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path, module in imports_of("arena")
        if module.split(".")[0] in {*AGENT_SIDE, "crmagent"} and module not in ARENA_MAY_USE
    ]
    assert offending == []
    assert any(module in ARENA_MAY_USE for _, module in imports_of("arena"))


WINGS = ("message", "crm", "writing", "models")
GROUND = ("domain", "config", "statistics", "bandits")


def test_tools_is_its_ground_and_four_wings() -> None:
    """The ground is its three parts, each a module or a package of the same name; the
    wings are the four packages; nothing else sits in ``tools/``."""
    modules = {path.stem for path in (ROOT / "tools").glob("*.py")} - {"__init__"}
    packages = {path.parent.name for path in (ROOT / "tools").glob("*/__init__.py")}
    assert modules & packages == set()
    assert set(WINGS) <= packages
    assert modules | packages == {*GROUND, *WINGS}


def test_what_others_import_from_a_wing_its_init_names() -> None:
    """Every name that code outside a wing imports from one of its modules is in the
    wing's ``__all__``, so the ``__init__`` is the whole of what the wing offers."""
    missing = []
    for package in (*AGENT_SIDE, "crmagent", "arena"):
        for path, module, names in _from_imports(package):
            parts = module.split(".")
            if len(parts) < 3 or parts[0] != "tools" or parts[1] not in WINGS:
                continue
            inside = path.relative_to(ROOT).parts[:2] == ("tools", parts[1])
            exported = importlib.import_module(f"tools.{parts[1]}").__all__
            missing += [
                f"{path.relative_to(ROOT)}: {module}.{name}"
                for name in names
                if not inside and name not in exported
            ]
    assert missing == []


def _from_imports(package: str) -> list[tuple[Path, str, list[str]]]:
    return [
        (path, node.module, [alias.name for alias in node.names])
        for path in sorted((ROOT / package).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
    ]
