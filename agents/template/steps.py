"""The guidance steps the writer model writes beside its lines, and their checks: each
must start with an action, act on a named pattern, cite only that pattern's evidence,
quote no number of its own, and not repeat the message."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field

from agents.template.lines import NUMBERING
from tools.domain import Pattern, TemplateText
from tools.message.text import ungrounded_numbers
from tools.writing.writer import WritePlan


class DraftStep(BaseModel):
    """One guidance step a model wrote."""

    text: str = Field(description="An action for the merchant (starting with a verb) and why.")
    pattern: str = Field(default="", description="The pattern it acts on: a name from the list.")
    evidence: list[str] = Field(
        default_factory=list, description="That pattern's evidence ids, only from the list."
    )


_IMPERATIVE_NOT = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "we",
        "our",
        "you",
        "your",
        "they",
        "their",
        "he",
        "she",
        "i",
        "my",
        "there",
        "here",
        "message",
        "messages",
        "copy",
        "text",
        "template",
        "templates",
        "customers",
        "customer",
        "pattern",
        "patterns",
        "lift",
        "evidence",
        "data",
        "shoppers",
        "people",
        "buyers",
        "audience",
        "offers",
    ]
)
_ACTION_WORDS = frozenset(["don't", "dont", "never", "always", "do"])


def _is_action(text: str) -> bool:
    """Whether a step starts with a verb in the imperative ("Lead with ...", "Keep ...",
    "Don't ..."): not a pronoun, a determiner, a noun the advice is about, or a word in
    -ing, -ed or -s."""
    words = re.findall(r"[A-Za-z']+", NUMBERING.sub("", text.strip()))
    if not words:
        return False
    first = words[0].lower()
    if first in _ACTION_WORDS:
        return True
    if first in _IMPERATIVE_NOT or first.endswith(("ing", "ed", "ly")):
        return False
    return not (first.endswith("s") and not first.endswith(("ss", "us")))


def _repeats(text: str, message: str) -> bool:
    """Whether a step is mostly the message's own words, in the message's order."""
    words = re.findall(r"\w+", text.lower())
    theirs = re.findall(r"\w+", message.lower())
    if len(words) < 4:
        return False
    matcher = difflib.SequenceMatcher(a=words, b=theirs, autojunk=False)
    shared = sum(block.size for block in matcher.get_matching_blocks() if block.size >= 3)
    return shared / len(words) >= 0.5


def check_steps(
    steps: Sequence[DraftStep],
    message: TemplateText,
    names: Mapping[str, Sequence[str]],
    grounded: str,
) -> tuple[list[DraftStep], list[str]]:
    """The guidance steps that pass the checks copy passes, and the reason for each one
    refused: it must start with an action, name a pattern from ``names`` (each with the
    evidence ids it may cite), cite no other evidence, quote no number that is not in
    ``grounded``, and not repeat the message. A step with no evidence cites its
    pattern's."""
    kept: list[DraftStep] = []
    refused: list[str] = []
    text = f"{message.subject or ''}\n{message.body}"
    for number, step in enumerate(steps, start=1):
        label = f'guidance: step {number} "{step.text[:60]}"'
        pattern = step.pattern.strip()
        if pattern not in names:
            refused.append(
                f"{label} names no pattern from the list"
                + (f" ({pattern!r} is not one)" if pattern else "")
            )
            continue
        unknown = [e for e in step.evidence if e not in names[pattern]]
        if unknown:
            refused.append(f"{label} cites unknown evidence {unknown[0]} (not {pattern}'s)")
            continue
        invented = ungrounded_numbers(step.text, grounded)
        if invented:
            refused.append(f"{label} quotes {invented[0]}, a number not in the patterns")
            continue
        if not _is_action(step.text):
            refused.append(f"{label} has no action: start it with a verb")
            continue
        if _repeats(step.text, text):
            refused.append(f"{label} repeats the message instead of advising on it")
            continue
        evidence = list(step.evidence) or list(names[pattern][:3])
        kept.append(step.model_copy(update={"text": step.text.strip(), "evidence": evidence}))
    return kept, refused


def pattern_names(
    patterns: Sequence[Pattern], plan: WritePlan, evidence_ids: Sequence[str]
) -> tuple[dict[str, list[str]], str]:
    """The names a guidance step may act on, each with the evidence ids it may cite, and
    the list as the model sees it (a line each: name, lift, sends, a few ids). With no
    patterns (the rules fallback), the plan's best-practice features, with no evidence."""
    allowed = set(evidence_ids)
    if patterns:
        names = {p.name: [e for e in p.evidence if e in allowed] for p in patterns}
        listed = "\n".join(
            f"- {p.name}: {p.lift:.2f}x, n={p.sample_size}, "
            + (", ".join(names[p.name][:3]) or "no ids")
            for p in patterns[:8]
        )
        return {n: names[n] for n in [p.name for p in patterns[:8]]}, listed
    features = [*plan.use, *(f"avoid_{f}" for f in sorted(plan.avoid))]
    return {f: [] for f in features}, "\n".join(f"- {f}: best practice, no ids" for f in features)
