"""The closed loop (issue #41): rounds of write, send, import, learn, scored by the hidden
response model.

Each round, for each campaign (a rewrite task of a merchant rich in history), the agent
writes texts, under the runner's variant settings or as the main template and variants of
one request (``arms="variants"``); with the merchant's original (the control) they are the
round's arms, the same text counted once. Sends are drawn from the
hidden model: an arm's opens, clicks and conversions are binomial draws along its expected
funnel, from a generator seeded per policy. The loop's results are imported into the
agent's copy of the store as template rows (``loop-<campaign>-a<arm>``, running totals, as a
CRM export is), so the next round's agent learns from them.

Policies share the same sends per round: ``original`` sends the control alone; ``fixed_ab``
halves every round between the control and the agent's first ``full`` text; ``loop`` asks
the learning policy handed in by the caller (CRMAgent's Thompson sampling; the arena does
not import the agent's statistics); ``oracle`` sends everything to the arm on offer with the
highest true rate; ``oracle_pool``, a reference, to the best text of the arena's oracle pool
(300 grammar texts and the campaign's own variants), which the agent may not have written.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from arena.hidden import WORLD_KINDS, HiddenWorld, hidden_path, load_hidden
from arena.response import expected_cvr, expected_rates
from arena.runner import VARIANTS, Agent, prepare, texts_by_campaign
from arena.tasks import MarketerTask, TaskSet, agent_store, draw_marketer_tasks, oracle_pool
from tools.crm.store import Store, TemplateRecord

Policy = Callable[[Sequence[tuple[int, int]], int, int], list[int]]
"""A learning policy: each arm's ``(sends, conversions)`` so far (the control first), the
round's sends and a seed; the sends per arm, summing to the round's."""
WRITERS = ("full", "group_only", "retrieval_only", "rules_only")
"""The run settings whose texts join the arms, in this order (the first is ``fixed_ab``'s)."""
POLICIES = ("original", "fixed_ab", "loop", "oracle", "oracle_pool")
REWRITES = ("every", "once")
"""When the agent writes: every round, from the store as the last round left it; or once."""
ARMS = ("settings", "variants")
"""Where the agent's texts come from: one per run setting in ``WRITERS``; or one request
under ``full`` asking for ``VARIANTS_ASKED`` variants, as a merchant setting up a test would."""
VARIANTS_ASKED = 4


@dataclass
class LoopArm:
    """One text of a campaign and what the loop's sends did with it."""

    name: str
    source: str
    """Who wrote it: ``original`` or the run setting (the first that did)."""
    round: int
    """The round it was first written in."""
    subject: str | None
    body: str
    p: float
    """Its true expected conversion per send (hidden)."""
    sends: int = 0
    opens: int = 0
    clicks: int = 0
    conversions: int = 0


@dataclass
class LoopCampaign:
    """A campaign of the loop: its task, its arms so far and the oracle pool's best rate."""

    task: MarketerTask
    pool_best: float
    arms: list[LoopArm] = field(default_factory=list)

    def add(self, subject: str | None, body: str, source: str, round_: int, p: float) -> None:
        """Add a text as an arm unless an arm already has it."""
        key = (subject, body.strip())
        if any((a.subject, a.body.strip()) == key for a in self.arms):
            return
        name = f"loop-{self.task.campaign_id}-a{len(self.arms)}"
        self.arms.append(LoopArm(name, source, round_, subject, body, p))


def fixed_split(policy: str, campaign: LoopCampaign, sends: int) -> list[int]:
    """The sends per arm of a policy that does not learn."""
    counts = [0] * len(campaign.arms)
    if policy == "original":
        counts[0] = sends
    elif policy == "fixed_ab":
        first = next((i for i, a in enumerate(campaign.arms) if a.source == WRITERS[0]), 0)
        counts[0] += sends - sends // 2
        counts[first] += sends // 2
    elif policy == "oracle":
        counts[max(range(len(counts)), key=lambda i: (campaign.arms[i].p, -i))] = sends
    else:
        raise ValueError(f"{policy!r} is not a fixed policy; fixed: original, fixed_ab, oracle")
    return counts


def cumulative(values: Sequence[float]) -> list[float]:
    """Running totals."""
    total, out = 0.0, []
    for value in values:
        total += value
        out.append(total)
    return out


def summary(per_round: dict[str, list[float]]) -> dict[str, Any]:
    """The headline of a loop from each policy's expected conversions per round: cumulative
    totals, the regret per round (``oracle`` - ``loop``), the loop's share of the oracle's
    and of the oracle pool's, and how far it is ahead of the fixed A/B test."""
    totals = {name: cumulative(values) for name, values in per_round.items()}
    end = {name: values[-1] if values else 0.0 for name, values in totals.items()}
    regret = [o - lp for o, lp in zip(per_round["oracle"], per_round["loop"], strict=True)]
    return {
        "cumulative": {k: [round(v, 2) for v in vs] for k, vs in totals.items()},
        "regret_per_round": [round(r, 2) for r in regret],
        "total": {k: round(v, 2) for k, v in end.items()},
        "loop_share_of_oracle": round(end["loop"] / end["oracle"], 4) if end["oracle"] else None,
        "loop_share_of_oracle_pool": round(end["loop"] / end["oracle_pool"], 4)
        if end["oracle_pool"]
        else None,
        "loop_over_fixed_ab": round(end["loop"] / end["fixed_ab"] - 1, 4)
        if end["fixed_ab"]
        else None,
        "loop_ahead_of_fixed_ab": end["loop"] > end["fixed_ab"],
    }


def _campaigns(
    world_home: Path, hidden: HiddenWorld, seed: int, count: int, view: Path, pool_size: int
) -> list[LoopCampaign]:
    """``count`` rewrite tasks of merchants rich in history, the agent's view without their
    campaigns, and each campaign's oracle-pool best rate."""
    drawn = draw_marketer_tasks(world_home / "crm.sqlite", random.Random(seed), 60)
    tasks = [t for t in drawn.marketer if t.kind == "rewrite_rich"][:count]
    if not tasks:
        raise ValueError(f"seed {seed}: the world has no rewrite task of a rich merchant")
    chosen = TaskSet(marketer=tasks, hidden_campaigns={t.campaign_id for t in tasks})
    agent_store(world_home / "crm.sqlite", view, chosen)
    by_campaign = texts_by_campaign(world_home / "crm.sqlite")
    rng = random.Random(seed + 3)
    campaigns = []
    for task in tasks:
        pool = oracle_pool(task, by_campaign.get(task.campaign_id, []), rng, pool_size)
        best = max(expected_cvr(hidden, task.campaign, s, b) for s, b in pool)
        campaign = LoopCampaign(task, best)
        p = expected_cvr(hidden, task.campaign, task.original_subject, task.original_body)
        campaign.add(task.original_subject, task.original_body, "original", 0, p)
        campaigns.append(campaign)
    return campaigns


def _write(
    agent: Agent,
    campaigns: list[LoopCampaign],
    view: Path,
    hidden: HiddenWorld,
    round_: int,
    arms: str,
) -> None:
    """The agent's texts, added as arms: under every writer setting, or (``variants``)
    the main template and its variants of one request under ``full``."""
    asks = (
        [(s, VARIANTS[s] or {}, {}) for s in WRITERS]
        if arms == "settings"
        else [(WRITERS[0], VARIANTS[WRITERS[0]] or {}, {"variants": VARIANTS_ASKED})]
    )
    for setting, settings, extra in asks:
        requests = [{**c.task.request, **extra} for c in campaigns]
        results = agent.generate(requests, view, settings)
        for campaign, result in zip(campaigns, results, strict=True):
            if isinstance(result, str):
                raise RuntimeError(f"the agent failed {campaign.task.task_id}: {result}")
            texts = [(setting, result.template)] + [
                (f"variant:{v.feature}", v.template) for v in result.variants
            ]
            for source, text in texts:
                p = expected_cvr(hidden, campaign.task.campaign, text.subject, text.body)
                campaign.add(text.subject, text.body, source, round_, p)


def _draw(
    rng: np.random.Generator, hidden: HiddenWorld, campaign: LoopCampaign, counts: list[int]
) -> list[tuple[int, int, int]]:
    """Opens, clicks and conversions of each arm's sends, drawn along its expected funnel."""
    drawn = []
    for arm, sends in zip(campaign.arms, counts, strict=True):
        rates = expected_rates(hidden, campaign.task.campaign, arm.subject, arm.body)
        opens = int(rng.binomial(sends, rates.open))
        clicks = int(rng.binomial(opens, rates.click))
        drawn.append((opens, clicks, int(rng.binomial(clicks, rates.conversion))))
    return drawn


def _import(view: Path, campaigns: list[LoopCampaign]) -> None:
    """The loop's running totals of every sent arm, as template rows of the agent's store."""
    records, campaign_ids = [], []
    for campaign in campaigns:
        request = campaign.task.request
        voucher = request["voucher"]
        for arm in campaign.arms:
            if not arm.sends:
                continue
            records.append(
                TemplateRecord(
                    arm.name,
                    request["merchant_id"],
                    request["segment"],
                    request["channel"],
                    voucher["type"],
                    voucher["value"],
                    voucher["min_spend"],
                    voucher["expires"],
                    voucher["code"],
                    request["product_category"],
                    arm.body,
                    arm.subject,
                    arm.sends,
                    arm.opens,
                    arm.clicks,
                    arm.conversions,
                    round(arm.conversions * campaign.task.campaign.price, 2),
                    request["send_date"],
                )
            )
            campaign_ids.append(campaign.task.campaign_id)
    with Store(view / "crm.sqlite") as store:
        store.put_templates(records, campaign_ids=campaign_ids)


def run_loop(
    folder: Path,
    seed: int,
    agent: Agent,
    policy: Policy,
    *,
    rounds: int = 10,
    sends: int = 2000,
    campaigns: int = 8,
    world: str = "default",
    rewrite: str = "once",
    pool_size: int = 300,
    arms: str = "settings",
) -> dict[str, Any]:
    """Run the closed loop on the seed's world: per round and policy, the expected
    conversions (true rates times sends: what the figures and the target are read on) and
    the drawn ones, summed over campaigns; the summary; and each campaign's arms."""
    started = time.perf_counter()
    if world not in WORLD_KINDS:
        raise ValueError(f"unknown world {world!r}; known: {', '.join(WORLD_KINDS)}")
    if rewrite not in REWRITES:
        raise ValueError(f"rewrite is one of {', '.join(REWRITES)}, not {rewrite!r}")
    if arms not in ARMS:
        raise ValueError(f"arms is one of {', '.join(ARMS)}, not {arms!r}")
    if rounds < 1 or sends < 1 or campaigns < 1:
        raise ValueError("rounds, sends and campaigns must each be at least 1")
    world_home = prepare(folder, seed, kind=world)
    hidden = load_hidden(hidden_path(world_home))
    view = folder / "loop-view"
    loop = _campaigns(world_home, hidden, seed, campaigns, view, pool_size)
    rngs = {name: np.random.default_rng([seed, i]) for i, name in enumerate(POLICIES)}
    expected: dict[str, list[float]] = {name: [] for name in POLICIES}
    drawn: dict[str, list[float]] = {name: [] for name in POLICIES}
    arms_per_round = []
    for round_ in range(rounds):
        if round_ == 0 or rewrite == "every":
            _write(agent, loop, view, hidden, round_, arms)
        arms_per_round.append(sum(len(c.arms) for c in loop))
        totals = {name: [0.0, 0.0] for name in POLICIES}
        for index, campaign in enumerate(loop):
            for name in POLICIES:
                if name == "loop":
                    history = [(a.sends, a.conversions) for a in campaign.arms]
                    counts = policy(history, sends, seed * 100_003 + round_ * 1_009 + index)
                    if sum(counts) != sends or len(counts) != len(campaign.arms):
                        raise ValueError(f"the policy shared {counts} for {sends} sends")
                elif name == "oracle_pool":
                    totals[name][0] += sends * campaign.pool_best
                    totals[name][1] += int(rngs[name].binomial(sends, campaign.pool_best))
                    continue
                else:
                    counts = fixed_split(name, campaign, sends)
                results = _draw(rngs[name], hidden, campaign, counts)
                totals[name][0] += sum(n * a.p for n, a in zip(counts, campaign.arms, strict=True))
                totals[name][1] += sum(c for _, _, c in results)
                if name == "loop":
                    for arm, n, (o, c, v) in zip(campaign.arms, counts, results, strict=True):
                        arm.sends, arm.opens = arm.sends + n, arm.opens + o
                        arm.clicks, arm.conversions = arm.clicks + c, arm.conversions + v
        for name in POLICIES:
            expected[name].append(totals[name][0])
            drawn[name].append(totals[name][1])
        _import(view, loop)
    return {
        "seed": seed,
        "world": world,
        "rounds": rounds,
        "sends": sends,
        "campaigns": len(loop),
        "rewrite": rewrite,
        "arms_from": arms,
        "arms_per_round": arms_per_round,
        "expected": {k: [round(v, 3) for v in vs] for k, vs in expected.items()},
        "drawn": {k: [int(v) for v in vs] for k, vs in drawn.items()},
        **summary(expected),
        "drawn_total": {k: int(sum(vs)) for k, vs in drawn.items()},
        "arms": {
            c.task.task_id: [
                {
                    "name": a.name,
                    "source": a.source,
                    "round": a.round,
                    "p": round(a.p, 5),
                    "sends": a.sends,
                    "conversions": a.conversions,
                }
                for a in c.arms
            ]
            for c in loop
        },
        "seconds": round(time.perf_counter() - started, 1),
    }


def loop_lines(figures: dict[str, Any]) -> list[str]:
    """The loop's figures as lines of text: cumulative expected conversions per round and
    policy, the regret per round, and the headline."""
    names = list(figures["cumulative"])
    lines = [
        f"closed loop, seed {figures['seed']} ({figures['world']} world): "
        f"{figures['campaigns']} campaigns x {figures['sends']:,} sends x "
        f"{figures['rounds']} rounds, texts written {figures['rewrite']}",
        "round  " + "  ".join(f"{n:>11}" for n in names) + "  regret",
    ]
    for i, regret in enumerate(figures["regret_per_round"]):
        row = "  ".join(f"{figures['cumulative'][n][i]:>11,.1f}" for n in names)
        lines.append(f"{i + 1:>5}  {row}  {regret:>6.1f}")
    share, pool = figures["loop_share_of_oracle"], figures["loop_share_of_oracle_pool"]
    lines.append(
        f"loop: {share:.1%} of the oracle's cumulative expected conversions, {pool:.1%} of "
        f"the oracle pool's; {figures['loop_over_fixed_ab']:+.1%} against the fixed A/B "
        f"test ({'ahead' if figures['loop_ahead_of_fixed_ab'] else 'not ahead'}); drawn "
        f"conversions {figures['drawn_total']}; {figures['seconds']}s"
    )
    return lines
