"""``crmagent experiment``: create an experiment between messages, record or import its
results, read where it stands, split the next sends, stop it or ship an arm. The commands
call ``crmagent.experiments``, as the HTTP routes do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from crmagent import experiments
from tools.bandits import CONTROL_FLOOR
from tools.config import settings
from tools.crm import Experiment

experiment_app = typer.Typer(
    help="Experiments between messages: arms, results, P(best), the next split, ship.",
    no_args_is_help=True,
)
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)
EXIT_INVALID = 2

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Data folder (default: $CRMAGENT_HOME or ./.crmagent)."),
]
ExperimentArg = Annotated[int, typer.Argument(help="The experiment's id.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
ObjectiveOption = Annotated[
    str, typer.Option(help="conversion (rate) or revenue (per send, needs revenue).")
]
SeedOption = Annotated[int, typer.Option(help="Seed of the posterior draws.")]


def _refuse(error: Exception) -> NoReturn:
    message = str(error.args[0]) if isinstance(error, LookupError) and error.args else str(error)
    errors.print(message, style="bold red", markup=False, highlight=False)
    raise typer.Exit(EXIT_INVALID) from error


def _objective(value: str) -> Any:
    if value not in {"conversion", "revenue"}:
        _refuse(ValueError(f"objective {value!r} is not conversion or revenue"))
    return value


def _print_arms(experiment: Experiment) -> None:
    for arm in experiment.arms:
        console.print(f"  {arm.name}: send and import as template_id {arm.template_id}")


@experiment_app.command("create")
def create(
    results: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Generated templates as variants: `crmagent batch`'s output or "
            "`crmagent generate --json`.",
        ),
    ] = None,
    request: Annotated[
        Path | None,
        typer.Option(help="The request(s) the results were generated from (their campaign)."),
    ] = None,
    merchant: Annotated[str | None, typer.Option(help="The merchant.")] = None,
    segment: Annotated[str | None, typer.Option(help="Audience segment.")] = None,
    channel: Annotated[str | None, typer.Option(help="im, sms, push or email.")] = None,
    control_text: Annotated[
        str | None, typer.Option(help="The message sent now (default: the request's original).")
    ] = None,
    control_subject: Annotated[str | None, typer.Option(help="Its subject or title.")] = None,
    variant_text: Annotated[
        list[str] | None, typer.Option("--variant-text", help="A variant's message (repeat).")
    ] = None,
    variant_subject: Annotated[
        list[str] | None,
        typer.Option("--variant-subject", help="The variants' subjects, in the same order."),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Start an experiment; prints each arm's template id, and the experiment's id last."""
    where = settings(home).home
    control = None if control_text is None else (control_subject, control_text)
    try:
        if results is not None:
            experiment = experiments.create_from_results(
                where,
                results,
                request,
                merchant_id=merchant,
                segment=segment,
                channel=channel,
                control=control,
            )
        else:
            if not (merchant and segment and channel and control):
                raise ValueError(
                    "pass --from RESULTS, or --merchant, --segment, --channel, --control-text "
                    "and --variant-text"
                )
            texts = variant_text or []
            subjects = list(variant_subject or [])
            if len(subjects) > len(texts):
                raise ValueError(
                    f"{len(subjects)} --variant-subject for {len(texts)} --variant-text"
                )
            subjects += [None] * (len(texts) - len(subjects))  # type: ignore[list-item]
            experiment = experiments.create(
                where, merchant, segment, channel, control, list(zip(subjects, texts, strict=True))
            )
    except (ValueError, LookupError) as error:
        _refuse(error)
    console.print(
        f"Experiment {experiment.experiment_id} for {experiment.merchant_id}, "
        f"{experiment.segment}, {experiment.channel}: {len(experiment.arms)} arms."
    )
    _print_arms(experiment)
    typer.echo(experiment.experiment_id)


@experiment_app.command("list")
def list_(as_json: JsonOption = False, home: HomeOption = None) -> None:
    """Every experiment, newest first."""
    found = experiments.list_experiments(settings(home).home)
    if as_json:
        typer.echo(json.dumps([experiments.summary(e) for e in found], indent=2))
        return
    table = Table("id", "merchant", "segment", "channel", "arms", "status", "reason", "created")
    for e in found:
        table.add_row(
            str(e.experiment_id),
            e.merchant_id,
            e.segment,
            e.channel,
            str(len(e.arms)),
            e.status,
            e.reason or "",
            e.created_at,
        )
    console.print(table)


@experiment_app.command("record")
def record(
    experiment_id: ExperimentArg,
    arm: Annotated[str, typer.Argument(help="control, variant-1, ... (or 0, 1, ...).")],
    sends: Annotated[int, typer.Option(help="Messages sent.")],
    conversions: Annotated[int, typer.Option(help="Orders they brought.")],
    revenue: Annotated[float | None, typer.Option(help="Revenue of those orders.")] = None,
    unsubscribes: Annotated[int | None, typer.Option(help="Recipients who unsubscribed.")] = None,
    home: HomeOption = None,
) -> None:
    """Add results by hand to an arm whose template id was not imported; they add up."""
    try:
        experiment = experiments.record(
            settings(home).home, experiment_id, arm, sends, conversions, revenue, unsubscribes
        )
    except (ValueError, LookupError) as error:
        _refuse(error)
    chosen = experiment.arm(arm)
    console.print(
        f"Experiment {experiment_id}, {chosen.name}: recorded {sends:,} sends, "
        f"{conversions:,} conversions."
    )


def _percent(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}%}"


@experiment_app.command("status")
def status(
    experiment_id: ExperimentArg,
    objective: ObjectiveOption = "conversion",
    seed: SeedOption = 0,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """Each arm's sends, conversions, rate with its 90% credible interval, P(best), expected
    loss and unsubscribe guardrail; then the recommendation and why."""
    try:
        shown = experiments.status(
            settings(home).home, experiment_id, objective=_objective(objective), seed=seed
        )
    except (ValueError, LookupError) as error:
        _refuse(error)
    if as_json:
        typer.echo(json.dumps(shown, indent=2))
        return
    table = Table(
        title=f"Experiment {experiment_id}: {shown['merchant_id']}, {shown['segment']}, "
        f"{shown['channel']} ({shown['status']})"
    )
    for column in ("arm", "template_id", "sends", "conversions", "rate (90% interval)"):
        table.add_column(column, justify="left" if column in {"arm", "template_id"} else "right")
    if objective == "revenue":
        table.add_column("revenue/send", justify="right")
    for column in ("P(best)", "expected loss", "unsubscribes", "guardrail"):
        table.add_column(column, justify="right")
    for arm in shown["arms"]:
        cells = [
            arm["name"],
            arm["template_id"],
            f"{arm['sends']:,}",
            f"{arm['conversions']:,}",
            f"{_percent(arm['rate'])} ({_percent(arm['rate_low'])}-{_percent(arm['rate_high'])})",
        ]
        if objective == "revenue":
            cells.append(f"{arm['value_per_send']:.3f}")
        loss = arm["expected_loss"]
        cells += [
            _percent(arm["p_best"], 1),
            f"{loss:.3f}" if objective == "revenue" else f"{loss * 100:.3f} pt",
            _percent(arm["unsubscribe_rate"]),
            arm["guardrail"],
        ]
        table.add_row(*cells)
    console.print(table, soft_wrap=False)
    advice = shown["recommendation"]
    console.print(f"Recommendation: {advice['reason']}.")


@experiment_app.command("next")
def next_(
    experiment_id: ExperimentArg,
    sends: Annotated[int, typer.Option(help="How many messages the next round sends.")],
    floor: Annotated[float, typer.Option(help="The control's least share.")] = CONTROL_FLOOR,
    objective: ObjectiveOption = "conversion",
    seed: SeedOption = 0,
    as_json: JsonOption = False,
    home: HomeOption = None,
) -> None:
    """The next round's sends by arm, by Thompson sampling (each arm's share is its
    probability to be best), the control keeping its floor; once the test may stop, every
    send to the leader."""
    try:
        shown = experiments.next_split(
            settings(home).home,
            experiment_id,
            sends,
            seed=seed,
            floor=floor,
            objective=_objective(objective),
        )
    except (ValueError, LookupError) as error:
        _refuse(error)
    if as_json:
        typer.echo(json.dumps(shown, indent=2))
        return
    table = Table("arm", "template_id", "sends", "P(best)", title=f"Next {sends:,} sends")
    for part in shown["split"]:
        table.add_row(
            part["name"], part["template_id"], f"{part['sends']:,}", _percent(part["p_best"], 1)
        )
    console.print(table, soft_wrap=False)
    if shown["decided"]:
        console.print(
            f"{shown['reason']}: every send goes to it; end the test with "
            f"crmagent experiment ship {experiment_id} ARM"
        )


@experiment_app.command("stop")
def stop(
    experiment_id: ExperimentArg,
    reason: Annotated[str, typer.Option(help="Why it stops (kept with it).")],
    home: HomeOption = None,
) -> None:
    """Stop an experiment without shipping an arm."""
    try:
        experiments.stop(settings(home).home, experiment_id, reason)
    except (ValueError, LookupError) as error:
        _refuse(error)
    console.print(f"Experiment {experiment_id} stopped: {reason}")


@experiment_app.command("ship")
def ship(
    experiment_id: ExperimentArg,
    arm: Annotated[str, typer.Argument(help="The arm to send from now on.")],
    reason: Annotated[str | None, typer.Option(help="Why (default: the arm shipped).")] = None,
    home: HomeOption = None,
) -> None:
    """End an experiment by shipping an arm (the control too)."""
    try:
        done = experiments.ship(settings(home).home, experiment_id, arm, reason)
    except (ValueError, LookupError) as error:
        _refuse(error)
    console.print(f"Experiment {experiment_id}: {done.reason}")
