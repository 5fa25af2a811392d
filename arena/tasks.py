"""Held-out tasks drawn from a built world, by persona (after CRMArena).

Marketer: (a) rewrite the underperforming variant of a campaign of a merchant rich in
history in the segment; (b) write for a new campaign of a merchant with little history
there (no original is given; the baseline is what the merchant actually sent); (c) a
cold-start merchant, all of whose history is hidden. The templates of every task's campaign
(and all of a cold-start merchant's) are removed from the store the agent sees.

Good originals (drawn apart, with a view of their own): the merchant's best-performing
template in a segment where it has rich history, to be improved if it can be and kept if
it cannot.

Analyst: exact questions with oracle answers, about a third of them with no valid answer.
Compliance: templates with one known rule broken, or none.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from arena.grammar import STYLES, CopyPlan, Facts, draw_plan, write
from arena.hidden import COPY_FEATURES, SEGMENTS, VOUCHER_TYPES, HiddenWorld
from arena.response import Campaign, sms_segments
from tools.crm.store import Store, TemplateRecord

KINDS = ("rewrite_rich", "new_little", "cold_start")
GOOD_ORIGINAL = "rewrite_best"
"""The task family against good originals: the merchant's best-performing template in the
segment is the text to beat (``draw_best_original_tasks``)."""
ANALYST_ELEMENTS: tuple[str, ...] = tuple(
    f for f in COPY_FEATURES if f not in {"product_named", "shouting", "vague_offer"}
)
"""Copy elements an analyst question may name (the ones a merchant would add on purpose)."""
RULES = ("offer_facts", "shouting", "sms_opt_out", "channel_length", "forbidden_words")
"""Rule names shared with the agent's rule report (DESIGN.md's contract)."""


@dataclass(frozen=True)
class MarketerTask:
    """A campaign to write for, with the baseline text it is scored against."""

    task_id: str
    kind: str
    request: dict[str, Any]
    campaign: Campaign
    original_subject: str | None
    original_body: str
    own_templates: int
    """The merchant's visible templates in the segment while the agent runs."""
    campaign_id: str


@dataclass(frozen=True)
class AnalystQuestion:
    """A question with one exact answer (or None)."""

    question_id: str
    kind: str
    params: dict[str, Any]
    answer: str | None


@dataclass(frozen=True)
class ComplianceCase:
    """A template with the one rule it breaks (or None)."""

    case_id: str
    request: dict[str, Any]
    subject: str | None
    body: str
    broken: str | None


@dataclass
class TaskSet:
    """Everything one arena run asks."""

    marketer: list[MarketerTask] = field(default_factory=list)
    analyst: list[AnalystQuestion] = field(default_factory=list)
    compliance: list[ComplianceCase] = field(default_factory=list)
    hidden_campaigns: set[str] = field(default_factory=set)
    cold_merchants: set[str] = field(default_factory=set)


def _campaigns(store_path: Path) -> dict[str, dict[str, Any]]:
    conn = sqlite3.connect(store_path)
    try:
        rows = conn.execute(
            "SELECT c.campaign_id, c.merchant_id, c.segment, c.channel, c.product_category, "
            "c.sent_at, v.type, v.value, v.min_spend, v.expires, v.code, p.name, p.price "
            "FROM campaigns c JOIN vouchers v USING (voucher_id) "
            "JOIN products p ON p.product_id = c.product_id ORDER BY c.campaign_id"
        ).fetchall()
        templates: dict[str, list[str]] = {}
        for template_id, campaign_id in conn.execute(
            "SELECT template_id, campaign_id FROM templates ORDER BY template_id"
        ):
            templates.setdefault(campaign_id, []).append(template_id)
    finally:
        conn.close()
    keys = (
        "campaign_id",
        "merchant_id",
        "segment",
        "channel",
        "product_category",
        "sent_at",
        "voucher_type",
        "voucher_value",
        "min_spend",
        "expires",
        "code",
        "product_name",
        "price",
    )
    return {
        row[0]: {**dict(zip(keys, row, strict=True)), "templates": templates.get(row[0], [])}
        for row in rows
    }


def _facts(campaign: dict[str, Any]) -> Facts:
    expires = date.fromisoformat(campaign["expires"]) if campaign["expires"] else None
    return Facts(
        campaign["segment"],
        campaign["channel"],
        campaign["product_name"],
        campaign["voucher_type"],
        campaign["voucher_value"],
        campaign["min_spend"],
        expires,
        campaign["code"],
    )


def _request(campaign: dict[str, Any], task_id: str, original: str | None) -> dict[str, Any]:
    return {
        "id": task_id,
        "merchant_id": campaign["merchant_id"],
        "segment": campaign["segment"],
        "channel": campaign["channel"],
        "product_category": campaign["product_category"],
        "product_name": campaign["product_name"],
        "original_template": original,
        "send_date": campaign["sent_at"],
        "voucher": {
            "type": campaign["voucher_type"],
            "value": campaign["voucher_value"],
            "min_spend": campaign["min_spend"],
            "expires": campaign["expires"],
            "code": campaign["code"],
        },
    }


def _split(total: int) -> dict[str, int]:
    rich = round(total * 0.4)
    little = round(total * 0.35)
    return {"rewrite_rich": rich, "new_little": little, "cold_start": total - rich - little}


def draw_marketer_tasks(store_path: Path, rng: random.Random, count: int) -> TaskSet:
    """Marketer tasks and what they hide from the agent."""
    campaigns = _campaigns(store_path)
    with Store(store_path) as store:
        records = {r.template_id: r for r in store.templates()}
    per_pair: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for campaign in campaigns.values():
        if campaign["templates"]:
            per_pair.setdefault((campaign["merchant_id"], campaign["segment"]), []).append(campaign)
    sizes = {pair: sum(len(c["templates"]) for c in cs) for pair, cs in per_pair.items()}
    quota = _split(count)
    tasks = TaskSet()

    def cvr(template_id: str) -> float:
        record = records[template_id]
        return record.conversions / record.sends

    rich_pairs = sorted(p for p, n in sizes.items() if n >= 12)
    rng.shuffle(rich_pairs)
    rich_merchants = set()
    for pair in rich_pairs[: quota["rewrite_rich"]]:
        options = [c for c in per_pair[pair] if len(c["templates"]) >= 2]
        if not options:
            continue
        rich_merchants.add(pair[0])
        campaign = rng.choice(options)
        worst = min(campaign["templates"], key=cvr)
        tasks.hidden_campaigns.add(campaign["campaign_id"])
        tasks.marketer.append(
            _task(
                campaign,
                records[worst],
                "rewrite_rich",
                sizes[pair] - len(campaign["templates"]),
                True,
            )
        )
    little_pairs = sorted(p for p, n in sizes.items() if n <= 3)
    rng.shuffle(little_pairs)
    merchants_little = {m for m, _ in little_pairs}
    # A cold-start merchant's history is all held out: never one whose rich history a
    # rewrite_rich task is about, or that task would have none to learn from.
    cold = sorted(
        m
        for m in merchants_little - rich_merchants
        if sum(n for (mm, _), n in sizes.items() if mm == m) <= 40
    )
    rng.shuffle(cold)
    cold_chosen = set(cold[: quota["cold_start"]])
    for merchant_id in sorted(cold_chosen):
        pairs = [p for p in sorted(per_pair) if p[0] == merchant_id]
        campaign = rng.choice(per_pair[rng.choice(pairs)])
        tasks.cold_merchants.add(merchant_id)
        tasks.marketer.append(
            _task(campaign, records[campaign["templates"][0]], "cold_start", 0, True)
        )
    taken = 0
    for pair in little_pairs:
        if taken >= quota["new_little"] or pair[0] in cold_chosen:
            continue
        campaign = rng.choice(per_pair[pair])
        tasks.hidden_campaigns.add(campaign["campaign_id"])
        tasks.marketer.append(
            _task(
                campaign,
                records[campaign["templates"][0]],
                "new_little",
                sizes[pair] - len(campaign["templates"]),
                False,
            )
        )
        taken += 1
    return tasks


BEST_MIN_SENDS = 200
"""Sends a template needs before its conversion rate can make it the merchant's best."""


def draw_best_original_tasks(store_path: Path, rng: random.Random, count: int) -> TaskSet:
    """Up to ``count`` tasks whose original is the merchant's best-performing template in
    the segment (by conversions per send, among its templates with ``BEST_MIN_SENDS``
    sends), one per merchant x segment with rich history; their campaigns are held out."""
    campaigns = _campaigns(store_path)
    with Store(store_path) as store:
        records = {r.template_id: r for r in store.templates()}
    campaign_of = {t: c["campaign_id"] for c in campaigns.values() for t in c["templates"]}
    per_pair: dict[tuple[str, str], list[TemplateRecord]] = {}
    for record in records.values():
        per_pair.setdefault((record.merchant_id, record.segment), []).append(record)
    rich = sorted(p for p, rs in per_pair.items() if len(rs) >= 12)
    rng.shuffle(rich)
    tasks = TaskSet()
    for pair in rich[:count]:
        seasoned = [r for r in per_pair[pair] if r.sends >= BEST_MIN_SENDS] or per_pair[pair]
        best = max(seasoned, key=lambda r: (r.conversions / r.sends, r.sends, r.template_id))
        campaign = campaigns[campaign_of[best.template_id]]
        tasks.hidden_campaigns.add(campaign["campaign_id"])
        own = len(per_pair[pair]) - len(campaign["templates"])
        tasks.marketer.append(_task(campaign, best, GOOD_ORIGINAL, own, True))
    return tasks


def _task(
    campaign: dict[str, Any], original: TemplateRecord, kind: str, own: int, give_original: bool
) -> MarketerTask:
    task_id = f"{kind}-{campaign['campaign_id']}"
    return MarketerTask(
        task_id=task_id,
        kind=kind,
        request=_request(campaign, task_id, original.text if give_original else None),
        campaign=Campaign(campaign["merchant_id"], _facts(campaign), campaign["price"]),
        original_subject=original.subject,
        original_body=original.text,
        own_templates=own,
        campaign_id=campaign["campaign_id"],
    )


def agent_store(world_store: Path, folder: Path, tasks: TaskSet) -> Path:
    """A copy of the world's store without the held-out templates: what the agent sees."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "crm.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(folder / "chroma", ignore_errors=True)
    source = sqlite3.connect(world_store)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
    try:
        hidden = sorted(tasks.hidden_campaigns)
        cold = sorted(tasks.cold_merchants)
        copy.executemany("DELETE FROM templates WHERE campaign_id = ?", [(c,) for c in hidden])
        copy.executemany("DELETE FROM templates WHERE merchant_id = ?", [(m,) for m in cold])
        copy.execute(
            "INSERT OR REPLACE INTO meta VALUES ('data_version', ?)",
            (f"heldout-{len(hidden)}-{len(cold)}-{abs(hash(tuple(hidden)))}",),
        )
        copy.commit()
    finally:
        copy.close()
    return target


# -- analyst questions --------------------------------------------------------------------


def draw_analyst_questions(
    store_path: Path, hidden: HiddenWorld, rng: random.Random, count: int
) -> list[AnalystQuestion]:
    """Questions of three kinds, a third of them without a valid answer."""
    with Store(store_path) as store:
        records = store.templates()
    questions: list[AnalystQuestion] = []
    for index in range(count):
        kind = ("best_template", "top_element", "best_segment")[index % 3]
        unanswerable = rng.random() < 0.3
        qid = f"q{index + 1:03d}-{kind}"
        params: dict[str, Any]
        if kind == "best_template":
            anchor = rng.choice(records)  # a period in which the merchant did send
            merchant, segment = anchor.merchant_id, anchor.segment
            start = date.fromisoformat(anchor.sent_at) - timedelta(days=rng.randrange(60))
            if unanswerable:
                start = date(2027, 3, 1)  # after the world's history ends
            end = start + timedelta(days=rng.choice((60, 120, 240)))
            params = {
                "merchant_id": merchant,
                "segment": segment,
                "start": start.isoformat(),
                "end": end.isoformat(),
            }
            answer = best_template(records, merchant, segment, params["start"], params["end"])
        elif kind == "top_element":
            segment = (
                rng.choice(SEGMENTS) if not unanswerable else "winback_" + rng.choice(SEGMENTS)
            )
            params = {"segment": segment, "elements": list(ANALYST_ELEMENTS)}
            answer = None
            if segment in hidden.segments:
                weights = hidden.segments[segment].weights
                answer = max(ANALYST_ELEMENTS, key=lambda e: weights[e])
        else:
            voucher = rng.choice(VOUCHER_TYPES)
            channel = rng.choice(("im", "sms", "push", "email"))
            params = {
                "voucher_type": voucher,
                "channel": channel,
                "min_sends": 50_000 if unanswerable else 2_000,
            }
            answer = best_segment(records, voucher, channel, params["min_sends"])
        questions.append(AnalystQuestion(qid, kind, params, answer))
    return questions


def best_template(
    records: list[TemplateRecord], merchant_id: str, segment: str, start: str, end: str
) -> str | None:
    """The merchant's template with the highest conversion rate in the segment, sent in the
    period (ties: more sends); None when it sent none."""
    pool = [
        r
        for r in records
        if r.merchant_id == merchant_id and r.segment == segment and start <= r.sent_at <= end
    ]
    if not pool:
        return None
    return max(pool, key=lambda r: (r.conversions / r.sends, r.sends, r.template_id)).template_id


def best_segment(
    records: list[TemplateRecord], voucher_type: str, channel: str, min_sends: int
) -> str | None:
    """The segment with the highest pooled conversion rate for a voucher type on a channel,
    among segments with at least ``min_sends`` such sends; None if no segment has that many."""
    totals: dict[str, list[int]] = {}
    for r in records:
        if r.voucher_type == voucher_type and r.channel == channel:
            sends_conv = totals.setdefault(r.segment, [0, 0])
            sends_conv[0] += r.sends
            sends_conv[1] += r.conversions
    eligible = {s: c / n for s, (n, c) in totals.items() if n >= min_sends}
    return max(sorted(eligible), key=lambda s: eligible[s]) if eligible else None


# -- compliance cases ---------------------------------------------------------------------


def draw_compliance_cases(store_path: Path, rng: random.Random, count: int) -> list[ComplianceCase]:
    """Clean templates, each then given at most one known mistake."""
    campaigns = [c for c in _campaigns(store_path).values() if c["templates"]]
    with Store(store_path) as store:
        forbidden: dict[str, tuple[str, ...]] = {}
        names: dict[str, str] = {}
        for c in campaigns:
            merchant = store.merchant(c["merchant_id"])
            forbidden[c["merchant_id"]] = () if merchant is None else merchant.forbidden_words
            names[c["merchant_id"]] = c["merchant_id"] if merchant is None else merchant.name
    cases = []
    for index in range(count):
        broken = (None, *RULES)[index % (len(RULES) + 1)]
        eligible = [
            c
            for c in campaigns
            if (broken != "sms_opt_out" or c["channel"] == "sms")
            and (broken != "channel_length" or c["channel"] in {"sms", "push"})
            and (broken != "forbidden_words" or forbidden[c["merchant_id"]])
            and (
                broken != "offer_facts"
                or c["voucher_type"] in {"percent_off", "amount_off", "threshold"}
            )
        ]
        clean = None
        while clean is None:  # a campaign whose plain text fits the channel
            campaign = rng.choice(eligible)
            facts = _facts(campaign)
            # An SMS names its sender first, as carriers require (the rules contract).
            sender = f"{names[campaign['merchant_id']]}: " if facts.channel == "sms" else ""
            clean = _clean(facts, rng, sender)
        subject, body, plan = clean
        if broken == "offer_facts":
            _, body = write(CopyPlan(**{**plan.__dict__, "wrong_offer": True}), facts, rng)
        elif broken == "shouting":
            _, body = write(CopyPlan(**{**plan.__dict__, "shouting": True}), facts, rng)
        elif broken == "sms_opt_out":
            _, body = write(CopyPlan(**{**plan.__dict__, "opt_out": False}), facts, rng)
        elif broken == "channel_length":
            _, body = write(CopyPlan(**{**plan.__dict__, "filler": 3}), facts, rng)
        elif broken == "forbidden_words":
            word = rng.choice(forbidden[campaign["merchant_id"]])
            first, _, rest = body.partition(". ")
            body = f"{first}. No {word} tricks. {rest}" if rest else f"{body} No {word} tricks."
        body = body if body.startswith(sender) else sender + body
        cid = f"c{index + 1:03d}"
        cases.append(ComplianceCase(cid, _request(campaign, cid, body), subject, body, broken))
    return cases


PUSH_BODY_LIMIT = 110
"""The push body limit of the rules contract (README), not the hidden channel parameter."""


def _fits_contract(channel: str, body: str) -> bool:
    if channel == "sms":
        return sms_segments(body) == 1
    return channel != "push" or len(body) <= PUSH_BODY_LIMIT


def _clean(
    facts: Facts, rng: random.Random, sender: str = ""
) -> tuple[str | None, str, CopyPlan] | None:
    """A template that breaks no rule: offer early, code, link, opt-out, no emoji."""
    plan = CopyPlan(
        offer="early",
        personalised=rng.random() < 0.5,
        product=True,
        urgency=False,
        exclusivity=False,
        social_proof=False,
        code=facts.code is not None,
        cta=True,
        emoji=False,
        question=False,
        opt_out=True,
    )
    for trimmed in (
        plan,
        replace(plan, personalised=False),
        replace(plan, personalised=False, code=False),
    ):
        subject, body = write(trimmed, facts, rng)
        if _fits_contract(facts.channel, sender + body):
            return subject, sender + body, trimmed
    return None


def draw_tasks(
    store_path: Path,
    hidden: HiddenWorld,
    seed: int,
    marketer: int,
    analyst: int,
    compliance: int,
    view: Path,
) -> TaskSet:
    """All tasks of a run, and the agent's view of the store under ``view`` (without the
    held-out templates). Analyst answers come from that view: the data the agent can see.
    The same seed gives the same tasks."""
    tasks = draw_marketer_tasks(store_path, random.Random(seed), marketer)
    visible = agent_store(store_path, view, tasks)
    tasks.analyst = draw_analyst_questions(visible, hidden, random.Random(seed + 1), analyst)
    tasks.compliance = draw_compliance_cases(store_path, random.Random(seed + 2), compliance)
    return tasks


STYLE_CHOICES = STYLES
"""The house styles the oracle pool draws from."""


def oracle_pool(
    task: MarketerTask, originals: list[tuple[str | None, str]], rng: random.Random, size: int
) -> list[tuple[str | None, str]]:
    """Candidate texts for a campaign: its original variants and ``size`` grammar texts."""
    facts = task.campaign.facts
    pool = list(originals)
    for _ in range(size):
        plan = draw_plan(rng.choice(STYLE_CHOICES), facts.channel, rng, facts.code is not None)
        pool.append(write(plan, facts, rng))
    return pool
