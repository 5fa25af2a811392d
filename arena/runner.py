"""The arena benchmark: runs an agent on held-out tasks and scores it with the hidden
response model only.

The agent is handed in by the caller (``crmagent`` wires CRMAgent's public ``generate_batch``
here); it sees a copy of the world's store without the held-out templates, and requests with
a ``CampaignRequest``'s fields, nothing else. Variants are settings of the same agent.

Beside the leaderboard, a run reports the tasks against good originals (the merchant's
best-performing template in the segment, with a view of the store of their own) and how
consistent ``full``'s verdicts are when it runs again with other ``drafts`` settings.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from arena.hidden import WORLD_KINDS, HiddenWorld, hidden_path, load_hidden
from arena.response import expected_cvr, wrong_offer
from arena.tasks import (
    MarketerTask,
    TaskSet,
    agent_store,
    draw_best_original_tasks,
    draw_tasks,
    oracle_pool,
)
from arena.world import build_world
from tools.crm.store import Store
from tools.domain import GenerationResult

VARIANTS: dict[str, dict[str, Any] | None] = {
    "original": None,
    "rules_only": {"modes": ["rules"]},
    "retrieval_only": {"modes": ["retrieval"]},
    "group_only": {"modes": ["group"]},
    "full": {"modes": ["group", "retrieval", "rules"]},
}
"""Leaderboard variants: ``original`` sends the merchant's text; the rest are the agent with
these run settings. A single-mode variant still ends in the rules fallback, as the agent
must always answer."""
SINGLE_MODE = {"rules_only": "rules", "retrieval_only": "retrieval", "group_only": "group"}
HEAD_TO_HEAD = {
    "full_beats": "the {tasks} tasks where `{name}` ran its own mode",
    "full_beats_all_tasks": "all {tasks} tasks, its rules fallback included",
}
"""``full`` against each single-mode variant, two ways (the figures' keys, and what each
compares): where the variant could run its mode, and on the whole task set, where a
merchant who chose that variant alone would have got its rules fallback elsewhere."""
CONSISTENCY_DRAFTS: tuple[int, ...] = (6, 1, 3)
"""The ``drafts`` settings ``full`` runs with for pass^k consistency (the first is the
agent's default, the run the leaderboard shows)."""
IMPROVABLE = 1e-6
"""Relative headroom above which a task has an improvement to find (oracle over original)."""


class Agent(Protocol):
    """What the arena asks of an agent."""

    def generate(
        self, requests: Sequence[dict[str, Any]], home: Path, settings: dict[str, Any]
    ) -> list[GenerationResult | str]:
        """One result per request, or an error message in its place."""
        ...

    def answer(self, kind: str, params: dict[str, Any], home: Path) -> str | None:
        """An analyst question's answer (None: no valid answer)."""
        ...

    def broken_rule(
        self, request: dict[str, Any], subject: str | None, body: str, home: Path
    ) -> str | None:
        """The rule a template breaks, or None."""
        ...


@dataclass(frozen=True)
class TaskScore:
    """One marketer task under one variant."""

    task_id: str
    kind: str
    segment: str
    own_templates: int
    mode: str
    original: float
    new: float
    oracle: float
    rule_pass: bool | None
    offer_fact_ok: bool
    audience_match: float | None
    marketing_effectiveness: float | None
    kept: bool = False
    """The text sent is the original's, word for word."""

    @property
    def lift(self) -> float:
        """New over original, minus one."""
        return self.new / self.original - 1

    @property
    def captured(self) -> float | None:
        """Share of the achievable lift taken (None where the original is already best)."""
        headroom = self.oracle - self.original
        return None if headroom <= self.original * 1e-6 else (self.new - self.original) / headroom


def summarize(scores: Sequence[TaskScore]) -> dict[str, Any]:
    """The leaderboard figures of a set of task scores."""
    if not scores:
        return {"tasks": 0}
    lifts = [s.lift for s in scores]
    captured = [c for s in scores if (c := s.captured) is not None]
    rules = [s.rule_pass for s in scores if s.rule_pass is not None]
    judged = [s for s in scores if s.audience_match is not None]
    return {
        "tasks": len(scores),
        "mean_lift": round(statistics.fmean(lifts), 4),
        "median_lift": round(statistics.median(lifts), 4),
        "captured": round(statistics.fmean(captured), 4) if captured else None,
        "captured_above_1": round(sum(c > 1 for c in captured) / len(captured), 4)
        if captured
        else None,
        "improved_share": round(sum(s.new > s.original for s in scores) / len(scores), 4),
        "rule_pass_rate": round(sum(rules) / len(rules), 4) if rules else None,
        "offer_fact_accuracy": round(sum(s.offer_fact_ok for s in scores) / len(scores), 4),
        "audience_match": round(statistics.fmean(s.audience_match or 0 for s in judged), 4)
        if judged
        else None,
        "marketing_effectiveness": round(
            statistics.fmean(s.marketing_effectiveness or 0 for s in judged), 4
        )
        if judged
        else None,
    }


def _score_variant(
    tasks: list[MarketerTask],
    results: Sequence[GenerationResult | str] | None,
    oracles: dict[str, float],
    originals: dict[str, float],
    world: Any,
) -> list[TaskScore]:
    scores = []
    for index, task in enumerate(tasks):
        result = None if results is None else results[index]
        if isinstance(result, str):
            raise RuntimeError(f"the agent failed task {task.task_id}: {result}")
        if result is None:
            subject, body, mode = task.original_subject, task.original_body, "original"
        else:
            subject, body, mode = result.template.subject, result.template.body, result.mode
        new = expected_cvr(world, task.campaign, subject, body)
        text = body if subject is None else f"{subject}\n{body}"
        scores.append(
            TaskScore(
                task_id=task.task_id,
                kind=task.kind,
                segment=task.campaign.facts.segment,
                own_templates=task.own_templates,
                mode=mode,
                original=originals[task.task_id],
                new=new,
                oracle=oracles[task.task_id],
                rule_pass=None if result is None else result.rule_report.passed,
                offer_fact_ok=not wrong_offer(text, task.campaign.facts),
                audience_match=None if result is None else result.scores.audience_match,
                marketing_effectiveness=None
                if result is None
                else result.scores.marketing_effectiveness,
                kept=(subject, body.strip()) == (task.original_subject, task.original_body.strip()),
            )
        )
    return scores


def _report(scores: list[TaskScore]) -> dict[str, Any]:
    modes = Counter(s.mode for s in scores)
    return {
        **summarize(scores),
        "modes": dict(sorted(modes.items())),
        "per_mode": {m: summarize([s for s in scores if s.mode == m]) for m in sorted(modes)},
        "per_kind": {
            k: summarize([s for s in scores if s.kind == k])
            for k in sorted({s.kind for s in scores})
        },
    }


@dataclass
class ArenaRun:
    """A finished run: the figures, and the per-task scores behind them (for the report)."""

    figures: dict[str, Any]
    scores: dict[str, list[TaskScore]]


def prepare(folder: Path, seed: int, merchants: int = 40, kind: str = "default") -> Path:
    """The world of a seed and kind under ``folder/world`` (built once)."""
    world = folder / "world"
    store = world / "crm.sqlite"
    if store.exists():
        with Store(store) as existing:
            built_kind = existing.get_meta("arena_world") or "default"
            if existing.get_meta("arena_seed") == str(seed) and built_kind == kind:
                return world
    build_world(world, seed, merchants, replace=True, kind=kind)
    return world


def run_folder(root: Path, seed: int, kind: str = "default") -> Path:
    """Where a seed's world and runs live under ``root``: ``seed-N`` for the default world
    (as always), ``<kind>/seed-N`` for the others."""
    if kind not in WORLD_KINDS:
        raise ValueError(f"unknown world {kind!r}; known: {', '.join(WORLD_KINDS)}")
    return root / f"seed-{seed}" if kind == "default" else root / kind / f"seed-{seed}"


def run_arena(
    folder: Path,
    seed: int,
    agent: Agent,
    *,
    tasks: int = 60,
    questions: int = 30,
    cases: int = 30,
    variants: Sequence[str] = tuple(VARIANTS),
    pool_size: int = 300,
    extra_variants: dict[str, dict[str, Any]] | None = None,
    world: str = "default",
    best_tasks: int = 20,
    drafts: Sequence[int] = CONSISTENCY_DRAFTS,
) -> ArenaRun:
    """Build (or reuse) the seed's world of kind ``world``, draw the tasks, run every
    variant, score; then (with ``full`` among the variants) the pass^k consistency of its
    verdicts over ``drafts`` settings, and ``best_tasks`` tasks against good originals."""
    started = time.perf_counter()
    if world not in WORLD_KINDS:
        raise ValueError(f"unknown world {world!r}; known: {', '.join(WORLD_KINDS)}")
    world_home = prepare(folder, seed, kind=world)
    hidden = load_hidden(hidden_path(world_home))
    view = folder / "agent-view"
    taskset: TaskSet = draw_tasks(
        world_home / "crm.sqlite", hidden, seed, tasks, questions, cases, view
    )
    catalog = {**VARIANTS, **(extra_variants or {})}
    unknown = [v for v in variants if v not in catalog]
    if unknown:
        raise ValueError(f"unknown variant(s) {', '.join(unknown)}; known: {', '.join(catalog)}")

    originals = {
        t.task_id: expected_cvr(hidden, t.campaign, t.original_subject, t.original_body)
        for t in taskset.marketer
    }
    by_campaign = texts_by_campaign(world_home / "crm.sqlite")
    rng = random.Random(seed + 3)
    oracles = _oracles(taskset.marketer, by_campaign, hidden, rng, pool_size)

    scores: dict[str, list[TaskScore]] = {}
    requests = [t.request for t in taskset.marketer]
    for name in variants:
        settings = catalog[name]
        results = None if settings is None else agent.generate(requests, view, settings)
        scores[name] = _score_variant(taskset.marketer, results, oracles, originals, hidden)

    figures: dict[str, Any] = {"seed": seed}
    headline = "full" if "full" in scores else variants[-1]
    figures |= _report(scores[headline])
    figures["variant"] = headline
    figures["variants"] = {name: _report(s) for name, s in scores.items()}
    if "full" in scores:
        figures |= {scope: {} for scope in HEAD_TO_HEAD}
        for name, mode in SINGLE_MODE.items():
            if name not in scores:
                continue
            for scope, (mine, theirs) in matched_tasks(scores, name, mode).items():
                figures[scope][name] = duel(mine, theirs, random.Random(seed))
    if "group_only" in scores and "retrieval_only" in scores:
        figures["group_vs_retrieval_rich"] = named_duel(
            "group", "retrieval", *rich_duel(scores), seed
        )
    figures["analyst"] = _exact(
        [(q.kind, agent.answer(q.kind, q.params, view), q.answer) for q in taskset.analyst]
    )
    figures["compliance"] = _exact(
        [
            ("compliance", agent.broken_rule(c.request, c.subject, c.body, view), c.broken)
            for c in taskset.compliance
        ]
    )
    figures["oracle_pool"] = pool_size
    figures["world"] = world
    if "full" in scores and len(drafts) > 1:
        runs = [scores["full"]] + [
            _score_variant(
                taskset.marketer,
                agent.generate(requests, view, {**(VARIANTS["full"] or {}), "drafts": d}),
                oracles,
                originals,
                hidden,
            )
            for d in drafts[1:]
        ]
        figures["consistency"] = consistency(runs, drafts)
    if "full" in scores and best_tasks:
        best = _good_originals(
            folder, world_home, seed, agent, hidden, by_campaign, best_tasks, pool_size, drafts
        )
        scores |= {f"{GOOD}:{name}": s for name, s in best.items()}
        figures[GOOD] = good_original_figures(best, random.Random(seed))
    figures["seconds"] = round(time.perf_counter() - started, 1)
    return ArenaRun(figures, scores)


GOOD = "good_originals"
"""The figures' key (and the scores' prefix) of the tasks against good originals."""


def _oracles(
    tasks: Sequence[MarketerTask],
    by_campaign: dict[str, list[tuple[str | None, str]]],
    hidden: HiddenWorld,
    rng: random.Random,
    pool_size: int,
) -> dict[str, float]:
    oracles = {}
    for task in tasks:
        pool = oracle_pool(task, by_campaign.get(task.campaign_id, []), rng, pool_size)
        oracles[task.task_id] = max(expected_cvr(hidden, task.campaign, s, b) for s, b in pool)
    return oracles


def _good_originals(
    folder: Path,
    world_home: Path,
    seed: int,
    agent: Agent,
    hidden: HiddenWorld,
    by_campaign: dict[str, list[tuple[str | None, str]]],
    count: int,
    pool_size: int,
    drafts: Sequence[int],
) -> dict[str, list[TaskScore]]:
    """``original``, ``rules_only`` and ``full`` (once per ``drafts`` setting, the first as
    ``full``) on tasks against the merchant's best template, in a view of their own."""
    taskset = draw_best_original_tasks(world_home / "crm.sqlite", random.Random(seed + 5), count)
    view = agent_store(world_home / "crm.sqlite", folder / "agent-view-best", taskset)
    tasks = taskset.marketer
    originals = {
        t.task_id: expected_cvr(hidden, t.campaign, t.original_subject, t.original_body)
        for t in tasks
    }
    oracles = _oracles(tasks, by_campaign, hidden, random.Random(seed + 6), pool_size)
    requests = [t.request for t in tasks]
    scores = {"original": _score_variant(tasks, None, oracles, originals, hidden)}
    for name in ("rules_only", "full"):
        settings = VARIANTS[name] or {}
        results = agent.generate(requests, view.parent, settings)
        scores[name] = _score_variant(tasks, results, oracles, originals, hidden)
    for d in drafts[1:]:
        settings = {**(VARIANTS["full"] or {}), "drafts": d}
        results = agent.generate(requests, view.parent, settings)
        scores[f"full:drafts={d}"] = _score_variant(tasks, results, oracles, originals, hidden)
    return scores


def consistency(runs: Sequence[Sequence[TaskScore]], drafts: Sequence[int]) -> dict[str, Any]:
    """pass^k: the share of tasks on which every run (one per ``drafts`` setting) gives the
    same verdict, better than the original or not; and how often each verdict is 'better'."""
    verdicts = [[s.new > s.original * (1 + 1e-9) for s in run] for run in runs]
    tasks = len(verdicts[0])
    agree = sum(len({v[i] for v in verdicts}) == 1 for i in range(tasks))
    return {
        "k": len(runs),
        "drafts": list(drafts[: len(runs)]),
        "tasks": tasks,
        "pass_k": round(agree / tasks, 4) if tasks else None,
        "better_share": [round(sum(v) / tasks, 4) if tasks else None for v in verdicts],
    }


def bootstrap_interval(
    values: Sequence[float],
    rng: random.Random,
    statistic: Any = statistics.fmean,
    resamples: int = 2000,
    level: float = 0.9,
) -> list[float]:
    """A percentile bootstrap interval of ``statistic`` over ``values`` (tasks, or seeds'
    figures, resampled with replacement)."""
    if not values:
        return [0.0, 0.0]
    draws = sorted(statistic(rng.choices(values, k=len(values))) for _ in range(resamples))
    tail = (1 - level) / 2
    return [
        round(draws[int(tail * resamples)], 4),
        round(draws[int((1 - tail) * resamples) - 1], 4),
    ]


def good_original_figures(scores: dict[str, list[TaskScore]], rng: random.Random) -> dict[str, Any]:
    """Against the best human text: ``full``'s mean and median lift with 90% intervals over
    tasks, its improved share where the oracle pool holds a better text, how often it
    rightly keeps the original (its text unchanged) where none does, its worst lift, the
    head-to-head with ``rules_only`` and the pass^k consistency of its verdicts."""
    full = scores["full"]
    if not full:
        return {"tasks": 0}
    lifts = [s.lift for s in full]
    improvable = [s for s in full if s.oracle > s.original * (1 + IMPROVABLE)]
    settled = [s for s in full if s.oracle <= s.original * (1 + IMPROVABLE)]
    worse = [s for s in full if s.new < s.original * (1 - 1e-9)]
    repeats = [scores[name] for name in scores if name.startswith("full:drafts=")]
    drafts = [CONSISTENCY_DRAFTS[0]] + [int(n.split("=")[1]) for n in scores if "drafts=" in n]
    return {
        "tasks": len(full),
        "mean_lift": round(statistics.fmean(lifts), 4),
        "mean_lift_interval": bootstrap_interval(lifts, rng),
        "median_lift": round(statistics.median(lifts), 4),
        "median_lift_interval": bootstrap_interval(lifts, rng, statistics.median),
        "improvable_tasks": len(improvable),
        "improved_share": round(sum(s.new > s.original for s in improvable) / len(improvable), 4)
        if improvable
        else None,
        "settled_tasks": len(settled),
        "kept_share": round(sum(s.kept for s in settled) / len(settled), 4) if settled else None,
        "kept_share_all": round(sum(s.kept for s in full) / len(full), 4),
        "worse_share": round(len(worse) / len(full), 4),
        "worst_lift": round(min(lifts), 4),
        "captured": summarize(full)["captured"],
        "rule_pass_rate": summarize(full)["rule_pass_rate"],
        "offer_fact_accuracy": summarize(full)["offer_fact_accuracy"],
        "rules_only": {
            k: summarize(scores["rules_only"])[k] for k in ("mean_lift", "median_lift", "captured")
        },
        "full_vs_rules_only": duel(full, scores["rules_only"], rng),
        "consistency": consistency([full, *repeats], drafts) if repeats else None,
    }


_SWEPT = (
    "tasks",
    "mean_lift",
    "median_lift",
    "captured",
    "improved_share",
    "rule_pass_rate",
    *HEAD_TO_HEAD,
    "group_vs_retrieval_rich",
    "consistency",
    GOOD,
)
"""A seed's figures that a sweep keeps."""


def matched_tasks(
    scores: dict[str, list[TaskScore]], name: str, mode: str
) -> dict[str, tuple[list[TaskScore], list[TaskScore]]]:
    """``full``'s and variant ``name``'s scores side by side, per ``HEAD_TO_HEAD`` scope
    that has tasks: on the tasks where ``name`` ran ``mode``, its own mode, and on all the
    tasks, its rules fallback included."""
    own = [i for i, s in enumerate(scores[name]) if s.mode == mode]
    every = range(len(scores[name]))
    return {
        scope: ([scores["full"][i] for i in tasks], [scores[name][i] for i in tasks])
        for scope, tasks in zip(HEAD_TO_HEAD, (own, every), strict=True)
        if tasks
    }


def rich_duel(scores: dict[str, list[TaskScore]]) -> tuple[list[TaskScore], list[TaskScore]]:
    """``group_only``'s and ``retrieval_only``'s scores on the rich-merchant tasks
    (``rewrite_rich``), side by side: where group learning has the most to learn from."""
    if "group_only" not in scores or "retrieval_only" not in scores:
        return [], []
    rich = [i for i, s in enumerate(scores["group_only"]) if s.kind == "rewrite_rich"]
    return [scores["group_only"][i] for i in rich], [scores["retrieval_only"][i] for i in rich]


def named_duel(
    first: str, second: str, mine: Sequence[TaskScore], theirs: Sequence[TaskScore], seed: int
) -> dict[str, Any]:
    """``duel`` of two named variants, its ``full``/``variant`` keys renamed after them."""
    if not mine:
        return {"tasks": 0}
    found = duel(mine, theirs, random.Random(seed))
    found[f"{first}_mean_lift"] = found.pop("full_mean_lift")
    found[f"{second}_mean_lift"] = found.pop("variant_mean_lift")
    return found


def sweep(
    folder: Path,
    seeds: Sequence[int],
    agent: Agent,
    *,
    tasks: int = 60,
    world: str = "default",
    best_tasks: int = 20,
) -> dict[str, Any]:
    """The arena on several worlds of kind ``world``: each seed's headline figures and
    head-to-heads, and the head-to-heads again over the tasks of all seeds pooled (one
    seed's sixteen group-learning tasks cannot tell a lead of a few points from the luck of
    the draw; ten seeds' can come closer); each figure's 90% interval over seeds (the
    seeds' figures resampled), group learning against retrieval on the rich-merchant tasks,
    and the good-original figures pooled over every seed's tasks. Each seed's world lives
    where ``crmagent arena run --seed N --world KIND`` keeps it (``run_folder``)."""
    if not seeds:
        raise ValueError("no seeds to run: give at least one, e.g. --seeds 7-16")
    started = time.perf_counter()
    per_seed: dict[str, Any] = {}
    pooled: dict[tuple[str, str], tuple[list[TaskScore], list[TaskScore]]] = {}
    rich: tuple[list[TaskScore], list[TaskScore]] = ([], [])
    good: dict[str, list[TaskScore]] = {}
    for seed in seeds:
        run = run_arena(
            run_folder(folder, seed, world),
            seed,
            agent,
            tasks=tasks,
            questions=0,
            cases=0,
            world=world,
            best_tasks=best_tasks,
        )
        figures = run.figures
        per_seed[str(seed)] = {key: figures[key] for key in _SWEPT if key in figures}
        for name, mode in SINGLE_MODE.items():
            for scope, (mine, theirs) in matched_tasks(run.scores, name, mode).items():
                pooled_mine, pooled_theirs = pooled.setdefault((scope, name), ([], []))
                pooled_mine += mine
                pooled_theirs += theirs
        group, retrieval = rich_duel(run.scores)
        rich[0].extend(group)
        rich[1].extend(retrieval)
        for name, scores in run.scores.items():
            if name.startswith(f"{GOOD}:"):
                good.setdefault(name.split(":", 1)[1], []).extend(scores)
    captured = [f["captured"] for f in per_seed.values() if f["captured"] is not None]
    rng = random.Random(seeds[0])
    over_seeds = {
        key: {
            "mean": round(statistics.fmean(values), 4),
            "interval": bootstrap_interval(values, rng),
        }
        for key, values in _seed_values(per_seed).items()
        if values
    }
    return {
        "seeds": list(seeds),
        "world": world,
        "captured_mean": round(statistics.fmean(captured), 4) if captured else None,
        **{
            scope: {
                name: duel(mine, theirs, random.Random(seeds[0]))
                for (where, name), (mine, theirs) in pooled.items()
                if where == scope
            }
            for scope in HEAD_TO_HEAD
        },
        "group_vs_retrieval_rich": named_duel("group", "retrieval", *rich, seeds[0]),
        "over_seeds": over_seeds,
        GOOD: good_original_figures(good, random.Random(seeds[0])) if "full" in good else None,
        "per_seed": per_seed,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _seed_values(per_seed: dict[str, Any]) -> dict[str, list[float]]:
    """The figures a sweep gives an interval over seeds, each seed's value in a list."""
    values: dict[str, list[float]] = {}

    def add(key: str, value: Any) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            values.setdefault(key, []).append(float(value))

    for figures in per_seed.values():
        for key in ("mean_lift", "median_lift", "captured", "improved_share"):
            add(key, figures.get(key))
        rules = figures.get("full_beats_all_tasks", {}).get("rules_only", {})
        add("text_ratio_vs_rules_only", rules.get("text_ratio"))
        add("pass_k", (figures.get("consistency") or {}).get("pass_k"))
        best = figures.get(GOOD) or {}
        for key in ("mean_lift", "median_lift", "improved_share", "kept_share", "worse_share"):
            add(f"{GOOD}.{key}", best.get(key))
    return values


def duel(
    full: Sequence[TaskScore], other: Sequence[TaskScore], rng: random.Random
) -> dict[str, Any]:
    """``full`` against another variant on the same tasks: their mean lifts, on how many
    tasks their texts differ, the 90% paired interval of the difference, and the verdict:
    ``ahead`` or ``behind`` by the difference in mean lift, ``level`` where they wrote the
    same (``beats`` only when ahead: a tie beats nothing). Beside it, ``text_ratio``: how
    many times the other's expected conversion ``full``'s texts reach, task for task (the
    geometric mean, with its 90% interval), which a task whose original barely converted
    cannot swing the way it swings a difference of lifts over that original."""
    pairs = list(zip(full, other, strict=True))
    gaps = [a.lift - b.lift for a, b in pairs]
    full_mean, other_mean = (statistics.fmean(s.lift for s in side) for side in (full, other))
    low, high = paired_interval(gaps, rng)
    logs = [math.log(a.new / b.new) for a, b in pairs]
    log_low, log_high = paired_interval(logs, rng)
    differing = sum(abs(g) > 1e-9 for g in gaps)
    verdict = "level" if not differing else "ahead" if full_mean > other_mean else "behind"
    return {
        "tasks": len(gaps),
        "variant_mean_lift": round(other_mean, 4),
        "full_mean_lift": round(full_mean, 4),
        "beats": verdict == "ahead",
        "verdict": verdict,
        "differing_tasks": differing,
        "difference_interval": [round(low, 4), round(high, 4)],
        "text_ratio": round(math.exp(statistics.fmean(logs)), 4),
        "text_ratio_interval": [round(math.exp(log_low), 4), round(math.exp(log_high), 4)],
    }


def paired_interval(
    differences: Sequence[float], rng: random.Random, resamples: int = 2000, level: float = 0.9
) -> tuple[float, float]:
    """A percentile bootstrap interval of the mean of paired differences (tasks resampled
    with replacement): whether one variant's lead over another is more than which tasks were
    drawn."""
    if not differences:
        return 0.0, 0.0
    means = sorted(
        statistics.fmean(rng.choices(differences, k=len(differences))) for _ in range(resamples)
    )
    tail = (1 - level) / 2
    return means[int(tail * resamples)], means[int((1 - tail) * resamples) - 1]


def _exact(rows: list[tuple[str, str | None, str | None]]) -> dict[str, Any]:
    by_kind: dict[str, list[bool]] = {}
    for kind, given, expected in rows:
        by_kind.setdefault(kind, []).append(given == expected)
    total = [hit for hits in by_kind.values() for hit in hits]
    return {
        "questions": len(total),
        "accuracy": round(sum(total) / len(total), 4) if total else None,
        "no_answer_share": round(sum(e is None for _, _, e in rows) / len(rows), 4)
        if rows
        else None,
        "per_kind": {k: round(sum(v) / len(v), 4) for k, v in sorted(by_kind.items())},
    }


def texts_by_campaign(store_path: Path) -> dict[str, list[tuple[str | None, str]]]:
    """Every stored text of the world's store as ``(subject, body)``, by campaign: what each
    task's oracle pool starts from."""
    with Store(store_path) as store:
        campaign_of = store.campaign_ids()
        by_campaign: dict[str, list[tuple[str | None, str]]] = {}
        for record in store.templates():
            by_campaign.setdefault(campaign_of[record.template_id], []).append(
                (record.subject, record.text)
            )
    return by_campaign
