"""``crmagent demo``: the sample world (arena seed 1) and one campaign per mode, shown the
way a merchant would read them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from arena.world import build_world
from crmagent.api import generate
from graph.context import Context
from tools.crm.store import Store
from tools.domain import GenerationResult

DEMO_SEED = 1


def demo_home(home: Path) -> Path:
    """The sample world lives apart from the merchant's own store."""
    return Path(home) / "demo"


def ensure_world(home: Path) -> Path:
    """Build the sample world if it is not there yet; return its folder."""
    folder = demo_home(home)
    store = folder / "crm.sqlite"
    if store.exists():
        with Store(store) as existing:
            if existing.get_meta("arena_seed") == str(DEMO_SEED):
                return folder
    build_world(folder, DEMO_SEED, replace=True)
    return folder


def demo_requests(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    """Three campaigns of the sample world: a merchant rich in history (group learning), one
    with little (retrieval), and a segment nobody has run (the rules fallback)."""
    with Store(folder / "crm.sqlite") as store:
        summary = store.segment_summary()
        rich = max(summary, key=lambda row: (row[2], row[3]))
        little = next(row for row in summary if row[2] == 1 and row[1] == "lapsed_90d")
        picks = []
        for label, (merchant_id, segment, *_), changes in (
            ("a merchant with rich history", rich, {}),
            ("a merchant with little history", little, {}),
            ("a segment nobody has run", little, {"segment": "newsletter_signup"}),
        ):
            worst = min(
                store.templates(merchant_id, segment), key=lambda r: r.conversions / r.sends
            )
            picks.append((label, store.replay_request(worst, id=None, **changes)))
    return picks


def render(console: Console, label: str, request: dict[str, Any], result: GenerationResult) -> None:
    """One campaign: original vs new, mode and why, patterns, guidance, the model's part
    (when one took part), scores."""
    console.rule(
        f"[bold]{label}: {request['merchant_id']} / {request['segment']} / "
        f"{request['channel']} -> mode [cyan]{result.mode}[/cyan]"
    )
    for skipped in result.fallback_trail:
        console.print(f"  not {skipped.mode}: {skipped.reason}", style="yellow", highlight=False)
    console.print(
        Panel(request.get("original_template") or "(none)", title="original", border_style="red"),
        highlight=False,
        soft_wrap=False,
    )
    new = result.template.body
    if result.template.subject:
        new = f"Subject: {result.template.subject}\n\n{new}"
    title = f"new ({result.purpose.value.replace('_', ' ')})"
    console.print(Panel(new, title=title, border_style="green"), highlight=False, soft_wrap=False)
    for edit in result.edits:
        change = (
            f"'{edit.before}' -> '{edit.after}'"
            if edit.before and edit.after
            else (f"added '{edit.after}'" if edit.after else f"removed '{edit.before}'")
        )
        console.print(f"  edit ({edit.kind}): {change}: {edit.reason}", highlight=False)
    if result.patterns:
        table = Table(title="patterns (lift within campaigns)", show_lines=False)
        for column in ("pattern", "lift", "90% CI", "confidence", "sends", "evidence"):
            table.add_column(column, no_wrap=column != "evidence")
        for p in result.patterns[:6]:
            sure = ">99%" if p.confidence > 0.99 else f"{p.confidence:.0%}"
            table.add_row(
                p.name,
                f"{p.lift:.2f}x",
                f"{p.ci_low:.2f}-{p.ci_high:.2f}",
                sure,
                f"{p.sample_size:,}",
                " ".join(p.evidence[:2]),
            )
        console.print(table, soft_wrap=False)
    for step in result.guidance:
        cited = f" [dim]({', '.join(step.evidence[:3])})[/dim]" if step.evidence else ""
        console.print(f"  {step.step}. {step.text}{cited}", highlight=False)
    if result.model != "offline":
        console.print(f"  {_spent(result)}", highlight=False)
    if result.degraded:
        console.print(f"  degraded: {result.degraded_reason}", style="yellow", highlight=False)
    s = result.scores
    console.print(
        f"  scores: audience match {s.audience_match:.2f}, marketing effectiveness "
        f"{s.marketing_effectiveness:.2f}, predicted conversion {s.predicted_cvr:.2%}; "
        f"rules {'passed' if result.rule_report.passed else 'FAILED'}\n",
        highlight=False,
    )
    _variants(console, result)


def _variants(console: Console, result: GenerationResult) -> None:
    """The other templates of an A/B test, each with the hypothesis it tests, its predicted
    conversion with the interval and its rule check; and why fewer came than asked."""
    for number, variant in enumerate(result.variants, start=1):
        body = variant.template.body
        if variant.template.subject:
            body = f"Subject: {variant.template.subject}\n\n{body}"
        console.print(
            Panel(body, title=f"variant {number}: {variant.feature}", border_style="blue"),
            highlight=False,
            soft_wrap=False,
        )
        s = variant.scores
        interval = (
            f" (90% interval {s.predicted_cvr_low:.2%}-{s.predicted_cvr_high:.2%})"
            if s.predicted_cvr_low is not None and s.predicted_cvr_high is not None
            else ""
        )
        console.print(
            f"  tests: {variant.hypothesis}\n  predicted conversion {s.predicted_cvr:.2%}"
            f"{interval}; rules {'passed' if variant.rule_report.passed else 'FAILED'}\n",
            highlight=False,
        )
    if result.variants_note:
        console.print(f"  variants: {result.variants_note}\n", style="yellow", highlight=False)


def _spent(result: GenerationResult) -> str:
    """Which model took part and what it cost."""
    usage = result.usage
    line = f"model {result.model}: {usage.calls} call(s), {usage.judge_calls} by the judge"
    if usage.input_tokens is not None:
        line += f"; {usage.input_tokens:,} tokens in, {usage.output_tokens or 0:,} out"
    return line


def run_demo(console: Console, home: Path, context: Context) -> list[GenerationResult]:
    """Build (if needed) and show the three demo campaigns."""
    folder = ensure_world(home)
    console.print(f"sample world: arena seed {DEMO_SEED} in {folder}\n")
    results = []
    for label, request in demo_requests(folder):
        result = generate(request, context=context, home=str(folder))
        render(console, label, request, result)
        results.append(result)
    return results
