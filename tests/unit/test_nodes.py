"""Each node alone, on a small arena world in SQLite (no model, no network, no index)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from langgraph.runtime import Runtime

from arena.world import build_world
from graph import nodes
from graph.context import Context
from graph.state import State
from tools.crm.store import Store, TemplateRecord
from tools.domain import Reference, TemplateText

WORLD: list[Path] = []
"""The module's world, for ``request_for``."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("world")
    build_world(home, seed=2)
    WORLD[:] = [home]
    return home


def runtime(home: Path, **settings: Any) -> Runtime[Context]:
    return Runtime(context=Context(home=str(home), **settings))


def request_for(record: TemplateRecord, **changes: Any) -> dict[str, Any]:
    """The stored template's campaign as a request (no id: nodes see the request alone)."""
    with Store(WORLD[0] / "crm.sqlite") as store:
        return store.replay_request(record, id=None, product_name="Nova Trail Runner", **changes)


def rich_and_little(home: Path) -> tuple[TemplateRecord, TemplateRecord]:
    with Store(home / "crm.sqlite") as store:
        summary = store.segment_summary()
        rich = max(summary, key=lambda row: row[3])
        little = next(row for row in summary if row[2] == 1)
        return store.templates(rich[0], rich[1])[0], store.templates(little[0], little[1])[0]


def run(state: dict[str, Any], node: Any, home: Path, **settings: Any) -> dict[str, Any]:
    update = node(State(**state), runtime(home, **settings))  # type: ignore[typeddict-item]
    assert isinstance(update, dict)
    return {
        **state,
        **{k: (state.get(k, []) + v if k == "fallback_trail" else v) for k, v in update.items()},
    }


def test_analyze_segment_picks_group_for_rich_history(world: Path) -> None:
    rich, _ = rich_and_little(world)
    state = run(request_for(rich), nodes.analyze_segment, world)
    assert state["mode"] == "group" and state["fallback_trail"] == []
    analysis = state["analysis"]
    assert analysis.group_ok and analysis.gap.p_value <= 0.1
    assert set(analysis.top_ids).isdisjoint(analysis.bottom_ids)
    rates = [t.shrunk_cvr for t in analysis.own]
    assert rates == sorted(rates, reverse=True)


def test_group_learning_writes_from_the_best_templates_in_the_channel_first(world: Path) -> None:
    with Store(world / "crm.sqlite") as store:
        pairs = sorted(store.segment_summary(), key=lambda row: row[2], reverse=True)
        histories = (store.templates(merchant, segment) for merchant, segment, *_ in pairs)
        mixed = next(h for h in histories if len({t.channel for t in h}) > 1)
    analysis = run(request_for(mixed[0]), nodes.analyze_segment, world)["analysis"]
    channels = {t.channel for t in analysis.own}
    for channel in channels:
        in_channel = [t for t in analysis.own if t.channel == channel]
        rest = [t for t in analysis.own if t.channel != channel]
        count = len(in_channel) + 1
        assert analysis.best_for(channel, count) == [*in_channel, rest[0]]


def test_analyze_segment_steps_down_with_reasons(world: Path) -> None:
    _, little = rich_and_little(world)
    state = run(request_for(little), nodes.analyze_segment, world)
    assert state["mode"] == "retrieval"
    (step,) = state["fallback_trail"]
    assert step.mode == "group" and "too little own history" in step.reason
    # a merchant the store has never seen: said so, since a mistyped id loses its profile
    state = run(request_for(little, merchant_id="m-typo"), nodes.analyze_segment, world)
    assert state["mode"] == "retrieval"
    (step,) = state["fallback_trail"]
    assert step.reason.startswith("merchant m-typo is not in the store: no templates, brand voice")
    rich, _ = rich_and_little(world)
    state = run(request_for(rich), nodes.analyze_segment, world, modes=["rules"])
    assert state["mode"] == "rules"
    assert [s.mode for s in state["fallback_trail"]] == ["group", "retrieval"]
    assert "off for this run" in state["fallback_trail"][1].reason


def test_analyze_segment_rejects_a_bad_request(world: Path) -> None:
    rich, _ = rich_and_little(world)
    bad = request_for(rich, channel="fax", voucher={"type": "percent_off", "value": 150})
    with pytest.raises(nodes.InvalidRequest) as refused:
        run(bad, nodes.analyze_segment, world)
    # each field named, with the value given where our own check did not quote it already
    assert str(refused.value) == (
        "invalid CampaignRequest: channel: Input should be 'im', 'sms', 'push' or 'email' "
        "(got 'fax'); voucher: value: percent_off value (150) must be between 0 and 100"
    )


def test_extract_patterns_cites_top_templates(world: Path) -> None:
    rich, _ = rich_and_little(world)
    state = run(request_for(rich), nodes.analyze_segment, world)
    state = run(state, nodes.extract_patterns, world)
    patterns = state["patterns"]
    assert patterns
    top, bottom = set(state["analysis"].top_ids), set(state["analysis"].bottom_ids)
    for pattern in patterns:
        assert pattern.ci_low <= pattern.lift <= pattern.ci_high
        assert pattern.sample_size > 0
        allowed = top if pattern.lift >= 1 else bottom
        assert set(pattern.evidence) <= allowed


def test_group_learning_reads_a_merchants_own_segment_name_as_its_canonical_segment(
    world: Path, tmp_path: Path
) -> None:
    # The rich merchant imported its history under a name of its own, then mapped the name:
    # group learning must learn from those templates, cite them, and compare them with the
    # canonical segment's other merchants, exactly as under the canonical name.
    rich, _ = rich_and_little(world)
    shutil.copy(world / "crm.sqlite", tmp_path / "crm.sqlite")
    with Store(tmp_path / "crm.sqlite") as store, store.transaction():
        history = store.templates(rich.merchant_id, rich.segment)
        store.put_templates([r._replace(segment="house_favourites") for r in history])
        store.map_segment(rich.merchant_id, "house_favourites", rich.segment)
        stored = store.templates(rich.merchant_id, rich.segment)
        renamed = store.replay_request(stored[0], id=None, product_name="Nova Trail Runner")
    assert renamed["segment"] == "house_favourites"
    before = run(request_for(rich), nodes.analyze_segment, world)
    before = run(before, nodes.extract_patterns, world)
    after = run(renamed, nodes.analyze_segment, tmp_path)
    assert after["mode"] == "group"
    assert after["analysis"].canonical == rich.segment
    assert [t.template_id for t in after["analysis"].own] == [
        t.template_id for t in before["analysis"].own
    ]
    assert after["analysis"].segment_cvr == before["analysis"].segment_cvr
    after = run(after, nodes.extract_patterns, tmp_path)
    assert after["patterns"] == before["patterns"]
    assert any(p.evidence for p in after["patterns"])


def test_adapt_check_guide_evaluate_in_group_mode(world: Path) -> None:
    rich, _ = rich_and_little(world)
    state = run(request_for(rich), nodes.analyze_segment, world)
    for node in (
        nodes.extract_patterns,
        nodes.adapt_template,
        nodes.check_rules,
        nodes.write_guidance,
        nodes.evaluate,
    ):
        state = run(state, node, world)
    assert state["attempts"] == 1 and state["rule_report"].passed
    assert state["template"].body != rich.text
    assert state["guidance"][0].evidence == state["analysis"].top_ids[:5]
    assert "converted" in state["guidance"][0].text
    scores = state["scores"]
    assert 0 <= scores.audience_match <= 1 and 0 <= scores.marketing_effectiveness <= 1
    assert 0 < scores.predicted_cvr < 0.2


def test_rules_rewrite_passes_the_rules(world: Path) -> None:
    _, little = rich_and_little(world)
    state = run(request_for(little, segment="newsletter_signup"), nodes.analyze_segment, world)
    state = run(state, nodes.rules_rewrite, world)
    state = run(state, nodes.check_rules, world)
    assert state["mode"] == "rules" and state["rule_report"].passed
    state = run(state, nodes.write_guidance, world)
    assert "best practice" in state["guidance"][0].text


def test_check_rules_retries_then_falls_back(world: Path) -> None:
    rich, _ = rich_and_little(world)
    state = run(request_for(rich), nodes.analyze_segment, world)
    wrong = TemplateText(body="Take 99% off everything! Shop now: {link} Reply STOP to opt out.")
    first = run({**state, "template": wrong, "attempts": 1}, nodes.check_rules, world)
    assert not first["rule_report"].passed and first["mode"] == "group"
    spent = run({**state, "template": wrong, "attempts": 3}, nodes.check_rules, world)
    assert spent["mode"] == "rules"
    assert "kept breaking hard rules" in spent["fallback_trail"][-1].reason
    last = run({**spent, "template": wrong}, nodes.check_rules, world)
    assert last["rule_report"].passed
    assert "99%" not in last["template"].body
    assert any("plainest message" in r for r in last["rule_report"].repairs)


def test_guidance_in_retrieval_mode_cites_references(world: Path) -> None:
    _, little = rich_and_little(world)
    state = run(request_for(little), nodes.analyze_segment, world)
    references = [
        Reference(
            template_id="t0000009",
            merchant_id="m009",
            similarity=0.7,
            text="Hi! Take 10% off. Shop now: {link}",
            cvr=0.02,
        )
    ]
    state = {**state, "references": references}
    for node in (
        nodes.extract_patterns,
        nodes.adapt_template,
        nodes.check_rules,
        nodes.write_guidance,
    ):
        state = run(state, node, world)
    assert state["guidance"][0].evidence == ["t0000009"]
    assert "replaced by yours, never copied" in state["guidance"][0].text


def test_context_refuses_a_contrary_confidence_below_the_act_confidence() -> None:
    with pytest.raises(ValueError, match=r"contrary_confidence is 0.5.*act_confidence \(0.6\)"):
        Context(contrary_confidence=0.5)
    with pytest.raises(ValueError, match="drafts is 0"):
        Context(drafts=0)
