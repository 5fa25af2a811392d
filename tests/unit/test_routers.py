"""Every branch of every router, without a model or a store."""

from __future__ import annotations

from typing import Any

import pytest

from graph.routers import after_check, after_retrieve, select_mode
from graph.state import State
from tools.domain import RuleReport


def state(**values: Any) -> State:
    return State(**values)  # type: ignore[typeddict-item]


@pytest.mark.parametrize(
    ("mode", "node"),
    [("group", "extract_patterns"), ("retrieval", "retrieve"), ("rules", "rules_rewrite")],
)
def test_select_mode(mode: str, node: str) -> None:
    assert select_mode(state(mode=mode)) == node


@pytest.mark.parametrize(
    ("mode", "node"), [("retrieval", "extract_patterns"), ("rules", "rules_rewrite")]
)
def test_after_retrieve(mode: str, node: str) -> None:
    assert after_retrieve(state(mode=mode)) == node


@pytest.mark.parametrize(
    ("passed", "mode", "node"),
    [
        (True, "group", "write_guidance"),
        (True, "rules", "write_guidance"),
        (False, "group", "adapt_template"),
        (False, "retrieval", "adapt_template"),
        (False, "rules", "rules_rewrite"),
    ],
)
def test_after_check(passed: bool, mode: str, node: str) -> None:
    assert after_check(state(mode=mode, rule_report=RuleReport(passed=passed))) == node
