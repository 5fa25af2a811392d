"""The guidance writer: ordered steps a merchant can follow, each citing its evidence, and
honest when the evidence is thin."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from agents.content import LEAN_NOTE, evidence_decides
from agents.segment_analyst import SegmentAnalysis
from agents.template import ALWAYS, NEVER
from tools.bandits import Arm, analyse
from tools.crm import ArmResults, Experiment
from tools.domain import Edit, GuidanceStep, Mode, Pattern, Reference, RuleReport
from tools.message.best_practice import practice
from tools.message.features import feature_of
from tools.writing.writer import QUIET_VOICES

_ADVICE: dict[str, tuple[str, str]] = {
    # feature: (what to do, what to stop doing)
    "offer_stated": ("State the offer in plain numbers", "Keep the offer out of it"),
    "offer_early": (
        "Lead with the offer in the first 40 characters",
        "Open with the greeting, not the offer",
    ),
    "urgency": ("Give a deadline", "Drop the deadline pressure"),
    "personalised": ("Greet the customer by name with {first_name}", "Skip the name"),
    "exclusivity": ("Make it feel reserved for them", "Drop the members-only framing"),
    "social_proof": ("Mention what other customers chose", "Drop the social proof"),
    "code_stated": ("Spell out the voucher code", "Leave the code out of the copy"),
    "cta": ("End with one clear call to action and {link}", "Cut the extra calls to action"),
    "emoji": ("Add one emoji", "Leave emoji out"),
    "question": ("Open with a light question", "Don't open with a question"),
    "shouting": ("Capitals can work here", "Drop the capitals and '!!!'"),
    "vague_offer": ("Vague offers work here", "Replace 'great deals' with the actual offer"),
    "long_copy": ("Longer copy works here", "Keep it short"),
    "short_copy": ("A line or two is enough here", "Give it room: a few more lines in your voice"),
    "product_named": ("Name the product", "Leave the product name out"),
}


def _cite(ids: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(ids[:limit])
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return f" Examples: {shown}{more}." if ids else ""


def _pattern_step(pattern: Pattern, where: str) -> str:
    """A pattern as a step; ``where`` (the messages it was read in) only where the guidance
    has not said so yet."""
    feature = feature_of(pattern)
    do, dont = _ADVICE.get(feature, (feature, f"avoid {feature}"))
    action = do if pattern.lift >= 1 else dont
    interval = ""
    if pattern.ci_low is not None and pattern.ci_high is not None:
        interval = f", 90% CI {pattern.ci_low:.2f}-{pattern.ci_high:.2f}x"
    sure = "over 99%" if pattern.confidence > 0.99 else f"{pattern.confidence:.0%}"
    lean = f", {LEAN_NOTE.format(lean=pattern.lean)}" if pattern.lean is not None else ""
    return (
        f"{action}: {_in(where)}messages whose copy {pattern.description.split(' (')[0]} "
        f"converted {pattern.lift:.2f}x as often as their A/B siblings without it{lean} "
        f"(n={pattern.sample_size:,} sends{interval}; {sure} confident)."
    )


def _in(where: str) -> str:
    return f"in {where}, " if where else ""


def _not_followed(
    pattern: Pattern,
    reasons: Mapping[str, str],
    channel: str,
    voice: str,
    code: str | None,
    *,
    dated: bool = True,
    edited: bool = False,
) -> str | None:
    """Why the new message goes against a pattern the evidence is sure of; None where
    another step already asks the merchant for it (a true claim, more lines)."""
    feature, helps = feature_of(pattern), pattern.lift >= 1
    if feature in ALWAYS and not helps:
        return f"every message states its offer and ends with the link ({reasons[feature]})"
    if feature in NEVER and helps:
        return f"CRMAgent never writes them ({reasons[feature]})"
    if (feature == "social_proof" and helps) or (feature == "short_copy" and not helps):
        return None
    if feature == "emoji" and helps and voice in QUIET_VOICES:
        return f"your brand voice ({voice}) keeps emoji out"
    if feature == "code_stated" and helps and code is None:
        return "this voucher has no code"
    if feature == "urgency" and helps and not dated:
        return "this voucher has no end date, and CRMAgent does not invent one"
    if feature in {"short_copy", "long_copy"}:
        return "your own sentences were kept; a shorter or longer version is yours to A/B test"
    if edited and feature == "offer_early":
        return "your text keeps its own order; lead with the offer in your next A/B send"
    if edited:
        return "your own text was kept where this would rewrite it; try it in your next A/B send"
    return (
        f"it did not fit in one {channel} message beside the steps above; "
        "try it in your next A/B send"
    )


def experiment_step(
    experiment: Experiment, results: Sequence[ArmResults]
) -> tuple[str, list[str]] | None:
    """The step that cites one of the merchant's A/B tests of this segment and channel:
    each arm's rate on its sends, the leader's probability to be best and what became of the
    test; its arms are history the rest of the guidance was read in. None before any send."""
    arms = [(a, r) for a, r in zip(experiment.arms, results, strict=True) if r.sends]
    if len(arms) < 2:
        return None
    reading = analyse(
        [Arm(a.name, r.sends, r.conversions) for a, r in arms],
        control=next((i for i, (a, _) in enumerate(arms) if a.index == 0), 0),
    )
    leader = reading.arms[reading.leader]
    rates = "; ".join(
        f"{a.name} {r.conversions / r.sends:.2%} on {r.sends:,} sends" for a, r in arms
    )
    if experiment.status == "shipped" and experiment.shipped_arm is not None:
        outcome = f"you shipped {experiment.arms[experiment.shipped_arm].name}"
    elif experiment.status == "stopped":
        outcome = "you stopped it"
    else:
        outcome = "it is still running"
    return (
        f"Your A/B test #{experiment.experiment_id} ({experiment.segment}, {experiment.channel}; "
        f"{outcome}): {rates}. {leader.name} leads (P(best) {leader.p_best:.0%}). Its "
        "messages are in the history this guidance was read in.",
        [a.template_id for a, _ in arms],
    )


def write_guidance(
    mode: Mode,
    analysis: SegmentAnalysis,
    patterns: Sequence[Pattern],
    references: Sequence[Reference],
    report: RuleReport,
    channel: str,
    written: Mapping[str, bool],
    *,
    min_confidence: float,
    contrary_confidence: float,
    voice: str = "friendly",
    code: str | None = None,
    edits: int = 0,
    dated: bool = True,
    worded: Sequence[Edit] = (),
    tested: Sequence[tuple[str, list[str]]] = (),
) -> list[GuidanceStep]:
    """The steps, most important first, at most ``MAX_STEPS``: those the new message acts
    on, then one that gathers the rest ("More evidence"); no step asks for what the message
    does not do. ``written`` are the new template's features, ``voice`` the merchant's brand
    voice, ``code`` the voucher's, ``dated`` whether it has an end date, ``edits`` how
    many edits were made to the original, ``worded`` those that put in the words the
    history favours (``tools.writing.wording``) and ``tested`` the steps citing the
    merchant's A/B tests of this segment and channel (``experiment_step``)."""
    steps: list[tuple[str, list[str]]] = []
    more: list[str] = []
    not_done: list[str] = []
    # The merchant's own messages go by its name for the segment; everyone's by the
    # canonical segment that name is mapped onto.
    segment, shared = analysis.segment, analysis.canonical or analysis.segment
    if mode == "group":
        gap = analysis.gap
        assert gap is not None
        steps.append(
            (
                f"Learn from your own best {segment} messages: your top {len(analysis.top_ids)} "
                f"converted {gap.top_rate:.2%} against {gap.bottom_rate:.2%} for your bottom "
                f"{len(analysis.bottom_ids)} ({gap.ratio:.2f}x, "
                f"n={gap.top_sends + gap.bottom_sends:,} sends, p={gap.p_value:.3f}). The new "
                "message follows what your top ones do.",
                analysis.top_ids[:5],
            )
        )
        where = (
            f"your {len(analysis.own)} {segment} messages (every feature read with the others "
            f"held alike), weighed against all {analysis.segment_templates:,} of the segment's"
        )
    elif mode == "retrieval":
        merchants = len({r.merchant_id for r in references})
        low = min(r.similarity for r in references)
        high = max(r.similarity for r in references)
        steps.append(
            (
                f"Borrow from {len(references)} top {shared} messages of {merchants} other "
                f"merchant(s) with a similar offer and product (similarity {low:.2f}-{high:.2f}); "
                "their offer, code and dates were replaced by yours, never copied.",
                [r.template_id for r in references],
            )
        )
        where = f"all {analysis.segment_templates:,} {shared} messages on record"
    else:
        steps.append(
            (
                f"Follow best practice for {shared} on {channel}: there is not enough evidence "
                "yet to learn from your messages or from similar ones elsewhere.",
                [],
            )
        )
        where = ""
    if edits:
        text, evidence = steps[0]
        steps[0] = (
            f"{text} Your own text was kept: {edits} edit{'s' if edits > 1 else ''}, each with "
            "its reason, are listed with the result.",
            evidence,
        )
    steps.extend(tested)
    if worded:
        steps.append(
            (
                "Use the words your customers answered: "
                + "; ".join(e.reason for e in worded)
                + ".",
                list(dict.fromkeys(i for e in worded for i in e.evidence)),
            )
        )
    best = practice(analysis.canonical, channel)
    strong = [p for p in patterns if p.confidence >= min_confidence]
    overruled = [
        p for p in strong if not evidence_decides(p, best, min_confidence, contrary_confidence)
    ]
    strong = [p for p in strong if p not in overruled]
    thin = [p for p in patterns if p.confidence < min_confidence and abs(p.lift - 1) >= 0.1]
    # Every sure pattern the new message acts on, then each it goes against, with the
    # reason: no decision goes unexplained, and no step describes a message that does the
    # opposite. Which messages the evidence was read in is said once, in the first step.
    basis = iter([where])
    followed = [p for p in strong if written.get(feature_of(p), False) == (p.lift >= 1)]
    for pattern in followed:
        steps.append((_pattern_step(pattern, next(basis, "")), pattern.evidence))
    for pattern in (p for p in strong if p not in followed):
        reason = _not_followed(
            pattern, best.use | best.avoid, channel, voice, code, dated=dated, edited=edits > 0
        )
        if reason:
            not_done.append(f"{_lower(_action(pattern))} ({pattern.lift:.2f}x): {reason}")
    for pattern in overruled[:3]:
        feature = feature_of(pattern)
        if written.get(feature, False) != (feature in best.use):
            continue
        kept = _ADVICE.get(feature, (feature, feature))[0 if feature in best.use else 1]
        read_in = _in(next(basis, ""))
        steps.append(
            (
                f"{kept}, as best practice has it: {read_in}the evidence leans the other "
                f"way ({pattern.lift:.2f}x, {pattern.confidence:.0%} confident, "
                f"n={pattern.sample_size:,} sends), short of the {contrary_confidence:.0%} it "
                "takes to overrule what works across the trade. Test it in your next A/B send.",
                pattern.evidence,
            )
        )
    if mode == "rules" or not strong:
        for feature, reason in best.use.items():
            if written.get(feature, False):
                steps.append((f"{_ADVICE.get(feature, (feature, ''))[0]}: {reason}.", []))
        for feature, reason in best.avoid.items():
            if not written.get(feature, False):
                steps.append((f"{_ADVICE.get(feature, ('', feature))[1]}: {reason}.", []))
    if written.get("social_proof"):
        steps.insert(
            1, ("Check that the social-proof line is true for this product before you send.", [])
        )
    elif any(feature_of(p) == "social_proof" and p.lift >= 1 for p in strong):
        more.append(
            "a true line citing other customers (a rating, a bestseller rank) is favoured by "
            "the evidence; what customers think is yours to say, not ours to invent"
        )
    cramped = next((p for p in strong if feature_of(p) == "short_copy" and p.lift < 1), None)
    if cramped is not None and written.get("short_copy"):
        more.append(
            f"longer messages converted {1 / cramped.lift:.2f}x as often here; a true sentence "
            "or two about the product in your voice is yours to add"
        )
    if thin:
        names = ", ".join(feature_of(p).replace("_", " ") for p in thin[:4])
        more.append(f"evidence is thin on {names} (under {min_confidence:.0%} confident)")
    fixed = [r for r in report.repairs]
    if fixed:
        steps.insert(min(len(steps), 3), (f"Fixed for you: {'; '.join(fixed)}.", []))
    more += [f"worth a look: {v.message}" for v in report.violations if v.severity == "soft"]
    rest = more or not_done or len(steps) > MAX_STEPS
    shown = steps[: MAX_STEPS - 1] if rest else steps
    done = [_short(text) for text, _ in steps[len(shown) :]]
    parts = [
        *([f"also done: {'; '.join(done)}"] if done else []),
        *([f"not done: {'; '.join(not_done)}"] if not_done else []),
        *more,
    ]
    if parts:
        shown.append((f"More evidence. {'. '.join(_upper(p) for p in parts)}.", []))
    return [
        GuidanceStep(step=i + 1, text=text, evidence=list(evidence))
        for i, (text, evidence) in enumerate(shown)
    ]


MAX_STEPS = 6
"""Steps a merchant reads; the rest go under one "More evidence" step."""


def _action(pattern: Pattern) -> str:
    feature = feature_of(pattern)
    do, dont = _ADVICE.get(feature, (feature, f"avoid {feature}"))
    return do if pattern.lift >= 1 else dont


def _short(step: str) -> str:
    """A step's action and lift, for the "More evidence" step."""
    lift = re.search(r"converted (\d+\.\d+)x", step)
    action = _lower(step.split(": ", 1)[0].rstrip("."))
    return f"{action} ({lift.group(1)}x)" if lift else action


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]
