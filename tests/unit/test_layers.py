"""DESIGN.md's layer rules, read from the source: the agent never sees the arena's hidden
model, and the arena uses only the CRM itself (domain types and store). import-linter
checks the same contracts in `make lint`; this test names the offending import."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AGENT_SIDE = ("graph", "agents", "tools", "prompts")
ARENA_MAY_USE = {"tools.domain", "tools.store"}


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
