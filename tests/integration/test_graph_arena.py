"""The whole graph on arena seed 1: a hundred campaigns spread over the three modes, through
the same `generate_batch` a user calls, with a real Chroma index on disk."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agents.retrieval import query_text
from arena.grammar import Facts
from arena.hidden import hidden_path, load_hidden
from arena.response import Campaign, expected_cvr, wrong_offer
from arena.world import build_world
from crmagent.api import BatchError, generate_batch
from graph.context import Context
from tools.crm.index import entries
from tools.crm.resources import index_for, store_for
from tools.crm.store import Store, TemplateRecord
from tools.domain import CampaignRequest, GenerationResult
from tools.message.offers import OFFER_PHRASE, offer_fact_errors, offer_phrase
from tools.message.rules import RuleContext, allowed_sms_segments, check, hard_violations, sender_of


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("arena")
    build_world(home, seed=1)
    return home


def campaigns(store: Store) -> list[dict[str, Any]]:
    """40 underperformers of merchants rich in history, 40 templates of merchants with
    little, 20 campaigns in segments of the merchants' own that nobody else has run."""
    rng = random.Random(7)
    by_pair: dict[tuple[str, str], list[TemplateRecord]] = {}
    for record in store.templates():
        by_pair.setdefault((record.merchant_id, record.segment), []).append(record)
    rich = [
        sorted(v, key=lambda r: r.conversions / r.sends)[0]
        for v in by_pair.values()
        if len(v) >= 12
    ]
    little = [v[0] for v in by_pair.values() if len(v) <= 2]
    picked = [store.replay_request(r) for r in rng.sample(rich, 40)]
    picked += [store.replay_request(r) for r in rng.sample(little, 40)]
    picked += [
        store.replay_request(r, id=f"own-{i}", segment="winback_" + r.segment)
        for i, r in enumerate(rng.sample(little, 20))
    ]
    return picked


def test_hundred_campaigns_over_three_modes(world: Path) -> None:
    with Store(world / "crm.sqlite") as store:
        requests = campaigns(store)
        merchants = {r["merchant_id"]: store.merchant(r["merchant_id"]) for r in requests}
    results = generate_batch(requests, max_concurrency=2, context=Context(home=str(world)))
    hidden = load_hidden(hidden_path(world))
    assert not [r for r in results if isinstance(r, BatchError)]
    modes = Counter(r.mode for r in results if isinstance(r, GenerationResult))
    assert set(modes) == {"group", "retrieval", "rules"}, modes
    assert min(modes.values()) >= 10, modes
    lifts = []
    with Store(world / "crm.sqlite") as store:
        stored = {r.template_id: r for r in store.templates()}
        for raw, result in zip(requests, results, strict=True):
            assert isinstance(result, GenerationResult)
            request = CampaignRequest.model_validate(raw)
            merchant = merchants[request.merchant_id]
            assert merchant is not None and result.id == raw["id"]
            template = result.template
            text = f"{template.subject or ''}\n{template.body}"
            # An independent re-check: the rule engine afresh, and the arena's own detector.
            context = RuleContext(
                channel=request.channel.value,
                voucher=request.voucher,
                forbidden_words=merchant.forbidden_words,
                brand_voice=merchant.brand_voice,
                sender=sender_of(merchant, request),
                send_date=request.send_date,
                # An edit may keep the length the merchant's own SMS had (README).
                sms_max_segments=allowed_sms_segments(
                    1, request.original_template, sender_of(merchant, request)
                ),
            )
            assert result.rule_report.passed
            assert hard_violations(check(template, context)) == []
            assert offer_fact_errors(text, request.voucher) == []
            voucher = request.voucher
            facts = Facts(
                request.segment.removeprefix("winback_"),
                request.channel.value,
                request.product_name,
                voucher.type.value,
                voucher.value,
                voucher.min_spend,
                voucher.expires,
                voucher.code,
            )
            assert not wrong_offer(text, facts), text
            assert result.guidance and result.guidance[0].step == 1
            assert [s.mode for s in result.fallback_trail] == {
                "group": [],
                "retrieval": ["group"],
                "rules": ["group", "retrieval"],
            }[result.mode]
            record = stored.get(str(raw["id"]))
            if record is not None and record.segment == request.segment:
                campaign = Campaign(request.merchant_id, facts, _price(store, record))
                old = expected_cvr(hidden, campaign, record.subject, record.text)
                new = expected_cvr(hidden, campaign, template.subject, template.body)
                lifts.append(new / old - 1)
    improved = sum(lift > 0 for lift in lifts) / len(lifts)
    assert improved >= 0.7, improved


def test_a_new_campaign_is_searched_for_by_the_message_it_could_send(world: Path) -> None:
    # A campaign with no text of its own: its facts as a line of keywords sit farther from
    # the messages in the index than the plainest message it could send, and clear the
    # similarity threshold for a reference less often.
    store, index = store_for(world), index_for(world)
    threshold = Context().similarity_threshold
    nearer, cleared = 0, {"message": 0, "keywords": 0}
    records = store.templates()[::25]
    for record in records:
        request = CampaignRequest.model_validate(
            store.replay_request(record, original_template=None)
        )
        merchant = store.merchant(request.merchant_id)
        assert merchant is not None
        message = query_text(request, merchant)
        assert "{link}" in message and OFFER_PHRASE.search(message)
        category = request.product_category.replace(">", " ").replace("-", " ")
        keywords = f"{offer_phrase(request.voucher)} {request.product_name} {category}"
        best = {
            name: index.search(
                store,
                request.segment,
                text,
                exclude_merchant=request.merchant_id,
                voucher_type=request.voucher.type.value,
                product_category=request.product_category,
                channel=request.channel.value,
            )[0]
            for name, text in (("message", message), ("keywords", keywords))
        }
        nearer += best["message"].text_similarity > best["keywords"].text_similarity
        for name, hit in best.items():
            cleared[name] += hit.similarity >= threshold
    assert len(records) >= 50
    assert nearer >= 0.7 * len(records), (nearer, len(records))
    assert cleared["message"] > cleared["keywords"], cleared


def test_templates_under_a_mapped_name_are_references_in_the_canonical_segment(
    world: Path, tmp_path: Path
) -> None:
    # A merchant imported its VIP history as "vip_club" and mapped it: other merchants
    # searching vip find its top templates there, and no collection is kept for the name.
    shutil.copy(world / "crm.sqlite", tmp_path / "crm.sqlite")
    with Store(tmp_path / "crm.sqlite") as store, store.transaction():
        owner = max(
            (row for row in store.segment_summary() if row[1] == "vip"), key=lambda r: r[2]
        )[0]
        history = store.templates(owner, "vip")
        store.put_templates([r._replace(segment="vip_club") for r in history])
        store.map_segment(owner, "vip_club", "vip")
    store, index = store_for(tmp_path), index_for(tmp_path)
    indexed = {i: e for i, e in entries(store, "vip").items() if e.merchant_id == owner}
    assert indexed
    best = max(indexed, key=lambda i: indexed[i].shrunk_cvr)
    top = indexed[best]
    found = {
        segment: index.search(
            store,
            segment,
            top.text,
            exclude_merchant="someone-else",
            voucher_type=top.voucher_type,
            product_category=top.product_category,
            channel=top.channel,
        )
        for segment in ("vip", "vip_club")
    }
    assert found["vip"][0].template_id == best
    assert found["vip_club"] == []


def _price(store: Store, record: TemplateRecord) -> float:
    name = store.product_of(record.template_id)
    return next(price for _, n, _, price in store.products(record.merchant_id) if n == name)


def test_result_json_has_the_contract_shape(world: Path) -> None:
    with Store(world / "crm.sqlite") as store:
        request = campaigns(store)[0]
    (result,) = generate_batch([request], context=Context(home=str(world)))
    assert isinstance(result, GenerationResult)
    data = result.model_dump(mode="json")
    assert set(data) >= {
        "id",
        "mode",
        "fallback_trail",
        "template",
        "patterns",
        "references",
        "rule_report",
        "guidance",
        "scores",
        "model",
        "degraded",
        "usage",
    }
    assert set(data["template"]) == {"subject", "preheader", "body"}
    assert set(data["rule_report"]) == {"passed", "violations", "repairs"}
    assert set(data["scores"]) == {
        "audience_match",
        "marketing_effectiveness",
        "predicted_cvr",
        "predicted_cvr_low",
        "predicted_cvr_high",
    }
    assert data["model"] == "offline" and data["usage"]["calls"] == 0
    for pattern in data["patterns"]:
        assert {"name", "lift", "confidence", "evidence"} <= set(pattern)
