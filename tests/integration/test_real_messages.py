"""Real published messages (tests/data/real_messages.jsonl, sources in
real_messages_sources.csv) through `crmagent batch` in a fresh home with nothing imported,
as a new merchant would send them: each is answered (or, for a language the grounded writer
does not write, refused with the fix), keeps its purpose and the merchant's own words,
states no fact the request does not give, names its sender and comes back in the
merchant's merge fields."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tools.domain import CampaignRequest, TemplateText
from tools.message import merge_fields
from tools.message.deadlines import deadline_claims
from tools.message.offers import OFFER_PHRASE, offer_fact_errors, stated_facts
from tools.message.purpose import names_goods
from tools.message.rules import OPT_OUT
from tools.message.text import sentences

DATA = Path(__file__).resolve().parents[1] / "data"


CORPORA = ("real_messages", "holdout_messages")
"""The corpus the writer was built on, and a set of real messages from other sources kept
apart and never tuned on (``holdout_messages``)."""


@pytest.fixture(scope="module", params=CORPORA)
def answered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    corpus = DATA / f"{request.param}.jsonl"
    home = tmp_path_factory.mktemp("fresh") / "home"  # nothing imported, not even created
    out = home.parent / "out.jsonl"
    run = subprocess.run(
        [sys.executable, "-m", "crmagent", "batch", corpus, out],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "CRMAGENT_HOME": str(home), "CRMAGENT_MODEL": "offline"},
    )
    assert run.returncode == 0, run.stderr
    requests = [json.loads(line) for line in corpus.open()]
    results = [json.loads(line) for line in out.open()]
    assert [r["id"] for r in results] == [q["id"] for q in requests]  # one line each, in order
    return list(zip(requests, results, strict=True))


def _sources() -> dict[str, dict[str, str]]:
    found = {}
    for corpus in CORPORA:
        with (DATA / f"{corpus}_sources.csv").open() as f:
            found |= {row["id"]: row for row in csv.DictReader(f)}
    return found


@pytest.mark.parametrize(("corpus", "size"), [("real_messages", 60), ("holdout_messages", 30)])
def test_the_corpus_is_real_and_broad(corpus: str, size: int) -> None:
    with (DATA / f"{corpus}_sources.csv").open() as f:
        sources = {row["id"]: row for row in csv.DictReader(f)}
    requests = [json.loads(line) for line in (DATA / f"{corpus}.jsonl").open()]
    assert len(requests) >= size and set(sources) == {q["id"] for q in requests}
    assert len({s["brand"] for s in sources.values()}) >= size // 4
    assert {q["channel"] for q in requests} == {"sms", "push", "email", "im"}
    assert sum(q["voucher"] is None for q in requests) >= size // 3
    assert all(s["url"].startswith("http") for s in sources.values())


def test_the_held_out_set_shares_no_source_with_the_corpus() -> None:
    brands = {}
    for corpus in CORPORA:
        with (DATA / f"{corpus}_sources.csv").open() as f:
            brands[corpus] = {row["brand"].lower() for row in csv.DictReader(f)}
    assert not brands["real_messages"] & brands["holdout_messages"]


def test_every_real_message_is_answered_true_to_its_facts(answered: list[Any]) -> None:
    for request, result in answered:
        if request.get("locale", "en") != "en":
            assert "not written offline" in result["error"] and "set a model" in result["error"]
            continue
        assert "error" not in result, (request["id"], result)
        assert result["mode"] == "rules" and result["fallback_trail"], request["id"]
        assert result["rule_report"]["passed"], request["id"]
        campaign = CampaignRequest.model_validate(request)
        template = TemplateText.model_validate(result["template"])
        ours = merge_fields.to_ours(f"{template.subject or ''}\n{template.body}").text
        errors = offer_fact_errors(ours, campaign.voucher)
        if campaign.voucher is None:
            # No offer is invented: what it states, the merchant's own text stated.
            said = stated_facts(request["original_template"])
            errors = [e for e in errors if not _said(e, said)]
        assert errors == [], (request["id"], ours, errors)
        if request["channel"] in {"sms", "im"}:
            assert template.subject is None, request["id"]
        if request["channel"] == "sms":
            assert OPT_OUT in template.body or "STOP" in template.body
            assert re.match(r"^[^:]{2,40}: ", template.body), (request["id"], template.body)
        # The merchant's own text is edited, each edit with its reason.
        assert result["edits"] and all(e["reason"] for e in result["edits"]), request["id"]


def _said(error: str, said: Any) -> bool:
    numbers = {f"{p:g}%" for p in said.percents} | {f"${a:,.0f}" for a in said.amounts}
    return any(n in error for n in numbers) or bool(said.kinds and "request carries" in error)


def test_the_purpose_is_read_from_the_text_and_kept(answered: list[Any]) -> None:
    sources = _sources()
    read = [(r["purpose"], sources[q["id"]]["purpose"]) for q, r in answered if "error" not in r]
    agree = sum(got == want for got, want in read)
    assert agree >= 0.8 * len(read), [(g, w) for g, w in read if g != w]


def test_the_merchants_words_and_merge_fields_survive(answered: list[Any]) -> None:
    kept = []
    for request, result in answered:
        if "error" in result:
            continue
        original = request["original_template"]
        words = set(re.findall(r"[a-z]{4,}", original.lower()))
        body = result["template"]["body"].lower()
        kept.append(sum(w in body for w in words) / max(1, len(words)))
        syntax = merge_fields.to_ours(original).syntax
        if syntax.family in {"liquid", "whatsapp", "mailchimp"}:
            assert result["merge_syntax"] == syntax.family, request["id"]
            assert not re.search(r"(?<!\{)\{(?:first_name|link)\}", result["template"]["body"])
    kept.sort()
    assert kept[len(kept) // 2] >= 0.6  # the median rewrite keeps most of the merchant's words


_OFFER_SCOPE = re.compile(
    r"\b(?:off|on|with|for) our ((?:[\w'-]+ ){0,3}?[\w'-]+)"
    r"(?=[.,!?:;]|\s(?:on|with|when|until|and|at|in|to|over|for)\b|$)"
)
"""What an offer is on, where it is "our" something ("20% off our running shoes")."""
_LABELS = re.compile(r"\b(?:subject(?: line)?|preview(?: text)?|pre-?header)\s*:", re.IGNORECASE)


def test_the_copy_reads_as_a_person_wrote_it(answered: list[Any]) -> None:
    """Faults a reader spots in a second, as properties of every answer: the sender named
    once, at the front; no code or end date before the offer it belongs to; an offer on
    "our" something only where that something is goods; no pasted e-mail's labels in a
    body."""
    for request, result in answered:
        if "error" in result:
            continue
        body, original = result["template"]["body"], request["original_template"]
        prefix = re.match(r"^([^:{}]{2,40}): ", body)
        if prefix:
            assert f"{prefix.group(1)}:" not in body[40:], (request["id"], body)
        if request["voucher"]:
            parts = sentences(body.replace("\n", " "))
            first = next((i for i, s in enumerate(parts) if OFFER_PHRASE.search(s)), len(parts))
            code = request["voucher"].get("code")
            for sentence in parts[:first]:
                own = re.sub(r"^[^:{}]{2,40}: ", "", sentence).lower()
                if own in original.lower():
                    continue  # the merchant's own order stands
                assert not deadline_claims(sentence) and not stated_facts(sentence).dates, (
                    request["id"],
                    body,
                )
                assert not (code and code in sentence), (request["id"], body)
        for scope in _OFFER_SCOPE.findall(body):
            if f"our {scope}" not in original:
                assert names_goods(scope), (request["id"], scope, body)
        assert not _LABELS.search(body), (request["id"], body)
