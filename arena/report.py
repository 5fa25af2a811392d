"""The arena report: a Markdown and an HTML page with the leaderboard and four plots (lift
per mode, lift per segment, captured lift against the merchant's own history, the
leaderboard as bars), and the closed loop's figures with its cumulative conversions per
policy when the loop ran."""

from __future__ import annotations

import html
import statistics
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display

import matplotlib.pyplot as plt

from arena.loop import loop_lines
from arena.runner import GOOD, HEAD_TO_HEAD, ArenaRun, TaskScore

PLOTS = ("lift_per_mode.png", "lift_per_segment.png", "captured_vs_history.png", "leaderboard.png")


def _box(path: Path, groups: dict[str, list[float]], title: str, ylabel: str) -> None:
    names = sorted(groups)
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.boxplot([[100 * v for v in groups[n]] for n in names], showmeans=True)
    axis.set_xticks(
        range(1, len(names) + 1), [f"{n}\n(n={len(groups[n])})" for n in names], fontsize=8
    )
    axis.axhline(0, color="grey", linewidth=0.8)
    axis.set_title(title)
    axis.set_ylabel(ylabel)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot(run: ArenaRun, out: Path, variant: str = "full") -> list[Path]:
    """Write the four plots into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    scores: list[TaskScore] = run.scores[variant]
    by_mode: dict[str, list[float]] = {}
    by_segment: dict[str, list[float]] = {}
    for s in scores:
        by_mode.setdefault(s.mode, []).append(s.lift)
        by_segment.setdefault(s.segment, []).append(s.lift)
    paths = [out / name for name in PLOTS]
    _box(paths[0], by_mode, f"Lift over the original per mode ({variant})", "lift, %")
    _box(paths[1], by_segment, f"Lift over the original per segment ({variant})", "lift, %")

    figure, axis = plt.subplots(figsize=(7, 4))
    points = [(s.own_templates, s.captured) for s in scores if s.captured is not None]
    axis.scatter([p[0] for p in points], [p[1] for p in points], alpha=0.7)
    axis.axhline(1, color="grey", linewidth=0.8, linestyle="--")
    axis.set_xlabel("the merchant's own templates in the segment (visible to the agent)")
    axis.set_ylabel("captured share of achievable lift")
    axis.set_title("Captured lift against the amount of own history")
    figure.tight_layout()
    figure.savefig(paths[2], dpi=110)
    plt.close(figure)

    names = list(run.figures["variants"])
    figure, axis = plt.subplots(figsize=(7, 4))
    medians = [100 * run.figures["variants"][n]["median_lift"] for n in names]
    captured = [run.figures["variants"][n]["captured"] or 0 for n in names]
    axis.bar(names, medians, color="#4c72b0")
    axis.set_ylabel("median lift, %")
    twin = axis.twinx()
    twin.plot(names, captured, color="#dd8452", marker="o")
    twin.set_ylabel("captured", color="#dd8452")
    twin.set_ylim(0, max(1.0, *captured))
    axis.set_title("Leaderboard")
    axis.tick_params(axis="x", labelsize=8)
    figure.tight_layout()
    figure.savefig(paths[3], dpi=110)
    plt.close(figure)
    return paths


def leaderboard_rows(figures: dict[str, Any]) -> list[list[str]]:
    """The leaderboard as table rows, one per variant, in ``HEADER``'s order."""

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:+.1%}"

    def share(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    rows = []
    for name, fig in figures["variants"].items():
        rows.append(
            [
                name,
                pct(fig["mean_lift"]),
                pct(fig["median_lift"]),
                "-" if fig["captured"] is None else f"{fig['captured']:.2f}",
                share(fig["improved_share"]),
                share(fig["rule_pass_rate"]),
                share(fig["offer_fact_accuracy"]),
                ", ".join(f"{m} {n}" for m, n in fig["modes"].items()),
            ]
        )
    return rows


def head_to_head(figures: dict[str, Any]) -> list[str]:
    """One line per single-mode variant and ``HEAD_TO_HEAD`` scope: ``full`` against it on
    the tasks where it ran its own mode, then on all tasks (where those are more), on how
    many of them the two wrote different texts, the 90% bootstrap interval of the
    difference in mean lift (an interval across zero: within the luck of the draw), and
    the geometric mean ratio of the two texts' conversion."""
    lines = []
    scopes = [(figures.get(scope, {}), where) for scope, where in HEAD_TO_HEAD.items()]
    duels = []
    for name in dict.fromkeys(name for found, _ in scopes for name in found):
        said = 0  # tasks of the line before: one scope that is all tasks is said once
        for found, where in scopes:
            if name in found and found[name]["tasks"] > said:
                duels.append((name, where, found[name]))
                said = found[name]["tasks"]
    for name, where, duel in duels:
        gap = duel["full_mean_lift"] - duel["variant_mean_lift"]
        verdict = duel["verdict"]
        low, high = duel["difference_interval"]
        ratio_low, ratio_high = duel["text_ratio_interval"]
        lines.append(
            f"`full` vs `{name}` on {where.format(tasks=duel['tasks'], name=name)}: "
            f"mean lift {duel['full_mean_lift']:+.1%} vs {duel['variant_mean_lift']:+.1%} "
            f"({verdict}; different texts on {duel['differing_tasks']} tasks; difference "
            f"{100 * gap:+.1f} points, 90% "
            f"interval {100 * low:+.1f} to {100 * high:+.1f}; task for task its texts convert "
            f"{duel['text_ratio']:.3f}x as well, {ratio_low:.3f}-{ratio_high:.3f})."
        )
    return lines


def _span(interval: list[float] | None, percent: bool = True) -> str:
    if not interval:
        return ""
    low, high = interval
    return f" (90% {low:+.1%} to {high:+.1%})" if percent else f" (90% {low:.2f}-{high:.2f})"


def good_original_lines(figures: dict[str, Any]) -> list[str]:
    """The tasks against good originals (the merchant's best template in the segment), in
    sentences: lift over the best human text with intervals, improved share where an
    improvement exists, how often the original is rightly kept, how much worse it got at
    worst, and the pass^k consistency of the verdicts."""
    good = figures.get(GOOD)
    if not good or not good.get("tasks"):
        return []
    lines = [
        f"Against the merchant's best template ({good['tasks']} tasks): `full` mean lift "
        f"{good['mean_lift']:+.1%}{_span(good['mean_lift_interval'])}, median "
        f"{good['median_lift']:+.1%}{_span(good['median_lift_interval'])}; `rules_only` "
        f"mean {good['rules_only']['mean_lift']:+.1%}."
    ]
    improved = good["improved_share"]
    kept = good["kept_share"]
    lines.append(
        f"An improvement existed on {good['improvable_tasks']} tasks; `full` improved "
        + ("-" if improved is None else f"{improved:.0%}")
        + f" of them. On the {good['settled_tasks']} where none existed it kept the original "
        + ("-" if kept is None else f"{kept:.0%}")
        + f" of the time. Worse than the original on {good['worse_share']:.0%} of the tasks "
        f"(worst {good['worst_lift']:+.1%})."
    )
    consistency = good.get("consistency")
    if consistency:
        lines.append(
            f"pass^{consistency['k']} (drafts {', '.join(map(str, consistency['drafts']))}): "
            f"the same verdict on {consistency['pass_k']:.0%} of the tasks."
        )
    return lines


def sweep_lines(figures: dict[str, Any]) -> list[str]:
    """A sweep's figures over seeds, each with its 90% interval over seeds, and group
    learning against retrieval on the rich-merchant tasks of every seed pooled."""
    lines = []
    over = figures.get("over_seeds", {})
    for key, found in over.items():
        percent = "lift" in key or "share" in key
        value = f"{found['mean']:+.1%}" if percent else f"{found['mean']:.3f}"
        lines.append(
            f"{key} over {len(figures['seeds'])} seeds: {value}{_span(found['interval'], percent)}."
        )
    rich = figures.get("group_vs_retrieval_rich") or {}
    if rich.get("tasks"):
        low, high = rich["text_ratio_interval"]
        lines.append(
            f"`group_only` vs `retrieval_only` on {rich['tasks']} rich-merchant tasks: mean "
            f"lift {rich['group_mean_lift']:+.1%} vs {rich['retrieval_mean_lift']:+.1%} "
            f"({rich['verdict']}; task for task {rich['text_ratio']:.3f}x, 90% "
            f"{low:.3f}-{high:.3f})."
        )
    return lines


HEADER = [
    "variant",
    "mean lift",
    "median lift",
    "captured",
    "improved",
    "rules passed",
    "offer facts",
    "modes",
]


def write_report(run: ArenaRun, out: Path, loop: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """``report.md`` and ``report.html`` with the leaderboard and the plots, and the closed
    loop's figures and cumulative plot when ``loop`` (``arena.loop.run_loop``'s) is given."""
    plots = plot(run, out)
    loop_text = [] if loop is None else ["## The closed loop", "", *loop_lines(loop)]
    if loop is not None:
        plots.append(plot_loop(loop, out))
    figures = run.figures
    captured = [c for s in run.scores.get("full", []) if (c := s.captured) is not None]
    above = sum(c > 1 for c in captured)
    lines = [
        f"# CRMAgent arena report, seed {figures['seed']} ({figures.get('world', 'default')} "
        "world)",
        "",
        f"{figures['tasks']} held-out marketer tasks, scored by the hidden response model "
        f"(expected conversion, no sampling noise); the oracle is the best of "
        f"{figures['oracle_pool']} grammar texts per campaign plus its original variants.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
        *("| " + " | ".join(row) + " |" for row in leaderboard_rows(figures)),
        "",
        *head_to_head(figures),
        "",
        *good_original_lines(figures),
        "",
        f"`full` took more lift than the whole oracle pool on {above} of {len(captured)} "
        "tasks (captured > 1).",
        f"Median captured for `full`: {statistics.median(captured):.2f}." if captured else "",
        "",
        _questions_line(figures),
        "",
        *(f"{line}  " for line in loop_text),
        "",
        *(f"![{p.stem}]({p.name})" for p in plots),
        "",
    ]
    markdown = out / "report.md"
    markdown.write_text("\n".join(lines), encoding="utf-8")
    table = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
        for row in leaderboard_rows(figures)
    )
    page = (
        "<!doctype html><meta charset='utf-8'>"
        f"<title>CRMAgent arena, seed {figures['seed']}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "td,th{padding:.2em .6em;border-bottom:1px solid #ddd}</style>"
        f"<h1>CRMAgent arena report, seed {figures['seed']}</h1>"
        f"<p>{html.escape(lines[2])}</p>"
        "<table><tr>"
        + "".join(f"<th>{h}</th>" for h in HEADER)
        + f"</tr>{table}</table>"
        + "".join(f"<p>{html.escape(line)}</p>" for line in head_to_head(figures))
        + (f"<h2>The closed loop</h2><pre>{html.escape(chr(10).join(loop_text[2:]))}</pre>")
        * (loop is not None)
        + "".join(f"<p><img src='{p.name}' alt='{p.stem}'></p>" for p in plots)
    )
    page_path = out / "report.html"
    page_path.write_text(page, encoding="utf-8")
    return markdown, page_path


def _questions_line(figures: dict[str, Any]) -> str:
    """How the analyst and compliance questions went (a run may ask none)."""
    analyst, compliance = figures["analyst"], figures["compliance"]
    parts = []
    if analyst["questions"]:
        parts.append(
            f"Analyst questions: {analyst['accuracy']:.0%} exact ({analyst['questions']}, "
            f"{analyst['no_answer_share']:.0%} without a valid answer)."
        )
    if compliance["questions"]:
        parts.append(f"Compliance: {compliance['accuracy']:.0%} exact ({compliance['questions']}).")
    return " ".join(parts) or "No analyst or compliance questions were asked."


LOOP_PLOT = "loop_cumulative.png"
LOOP_LABELS = {
    "original": "the original alone",
    "fixed_ab": "fixed 50/50 A/B (first full text vs original)",
    "loop": "the closed loop (Thompson sampling)",
    "oracle": "oracle: the best arm on offer",
    "oracle_pool": "oracle pool: the arena's best text",
}


def plot_loop(figures: dict[str, Any], out: Path) -> Path:
    """The closed loop's cumulative expected conversions per policy and round, as a PNG in
    ``out`` (``arena.loop.run_loop``'s figures)."""
    out.mkdir(parents=True, exist_ok=True)
    figure, axis = plt.subplots(figsize=(7, 4))
    for name, values in figures["cumulative"].items():
        rounds = range(1, len(values) + 1)
        style = "--" if name.startswith("oracle") else "-"
        axis.plot(
            rounds, values, style, marker="o", markersize=3, label=LOOP_LABELS.get(name, name)
        )
    axis.set_xlabel("round")
    axis.set_ylabel("cumulative expected conversions")
    axis.set_title(
        f"Closed loop, seed {figures['seed']}: {figures['campaigns']} campaigns, "
        f"{figures['sends']:,} sends each per round"
    )
    axis.legend(fontsize=8)
    figure.tight_layout()
    path = out / LOOP_PLOT
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
