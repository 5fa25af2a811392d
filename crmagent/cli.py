"""The ``crmagent`` command line (DESIGN.md's contract)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import OperationalError

from arena.quality import QualityError
from arena.world import WorldExistsError, build_world
from crmagent.experiment_cli import experiment_app
from tools.config import settings
from tools.crm.ingest import IngestError, ingest_file
from tools.crm.resources import store_url
from tools.crm.store import Store, StoreUnavailable, store_exists
from tools.domain import Merchant, validation_problems

if TYPE_CHECKING:
    from graph.context import Context

app = typer.Typer(
    help="CRMAgent: high-conversion CRM message templates, explained step by step.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Data folder (default: $CRMAGENT_HOME or ./.crmagent)."),
]

EXIT_INVALID = 2


def _print_summary(store: Store) -> None:
    table = Table(title=f"CRM store {store.url}")
    for column in ("merchant", "segment", "templates", "sends", "conversions", "cvr"):
        table.add_column(column, justify="left" if column in {"merchant", "segment"} else "right")
    for merchant_id, segment, templates, sends, conversions in store.segment_summary():
        cvr = f"{conversions / sends:.2%}" if sends else "-"
        canonical = store.canonical_segment(merchant_id, segment)
        if canonical is not None and canonical != segment:  # a name of the merchant's own
            segment = f"{segment} -> {canonical}"
        table.add_row(merchant_id, segment, str(templates), f"{sends:,}", f"{conversions:,}", cvr)
    console.print(table)


@app.command()
def ingest(
    file: Annotated[Path, typer.Argument(help="Templates with statistics, .csv or .jsonl.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only.")] = False,
    ignore_extra: Annotated[
        bool, typer.Option("--ignore-extra", help="Skip unknown columns instead of failing.")
    ] = False,
    home: HomeOption = None,
) -> None:
    """Import a merchant's templates; all rows or none. Exit 2 on invalid input."""
    url = store_url(home)
    try:
        if dry_run:
            store = Store(url) if store_exists(url) else None
            report = ingest_file(store, file, ignore_extra, dry_run=True)
        else:
            with Store(url) as store:
                report = ingest_file(store, file, ignore_extra)
                _print_summary(store)
    except IngestError as exc:
        errors.print(str(exc), markup=False, highlight=False)
        errors.print(f"{len(exc.problems)} problem(s); nothing was imported.", style="bold red")
        raise typer.Exit(EXIT_INVALID) from exc
    except OperationalError as exc:
        errors.print(
            f"{url}: {exc.orig}; nothing was imported (is another import running, "
            "or the disk full?)",
            style="bold red",
        )
        raise typer.Exit(1) from exc
    verb = "would import" if report.dry_run else "imported"
    console.print(
        f"{report.file}: {verb} {report.rows} template(s): {report.new_templates} new, "
        f"{report.updated_templates} updated."
    )


@app.command()
def export(
    file: Annotated[Path, typer.Argument(help="CSV to write (the ingestion header).")],
    home: HomeOption = None,
) -> None:
    """Write the store's templates to CSV, safe to open in a spreadsheet."""
    from tools.crm.ingest import export_file

    with Store(store_url(home)) as store:
        rows = export_file(store, file)
    console.print(f"{file}: {rows} template(s) written.")


@app.command("map-segment")
def map_segment(
    merchant_id: Annotated[str, typer.Argument(help="The merchant.")],
    name: Annotated[str, typer.Argument(help="The merchant's own segment name.")],
    canonical: Annotated[str, typer.Argument(help="The canonical segment it stands for.")],
    home: HomeOption = None,
) -> None:
    """Map a merchant's segment name onto a canonical segment: its rules apply, and the
    templates under the name count in its history."""
    with Store(store_url(home)) as store:
        try:
            with store.transaction():
                store.map_segment(merchant_id, name, canonical)
        except ValueError as exc:
            errors.print(str(exc), style="bold red")
            raise typer.Exit(EXIT_INVALID) from exc
    console.print(f"{merchant_id}: segment {name!r} now follows {canonical!r}.")


@app.command()
def merchant(
    merchant_id: Annotated[str, typer.Argument(help="The merchant.")],
    name: Annotated[str | None, typer.Option(help="Display name of the shop.")] = None,
    brand_voice: Annotated[
        str | None, typer.Option(help="How the shop speaks: friendly, premium, playful, ...")
    ] = None,
    locale: Annotated[str | None, typer.Option(help="Language of its messages.")] = None,
    max_discount: Annotated[
        str | None,
        typer.Option(
            help="Largest percent discount allowed (a request above it is refused), or 'none'."
        ),
    ] = None,
    forbidden_words: Annotated[
        str | None,
        typer.Option(help="Words never to use in its copy, comma-separated ('' for none)."),
    ] = None,
    merge_fields: Annotated[
        str | None,
        typer.Option(
            help="Placeholder style of its sending tool: ours, liquid, mailchimp, whatsapp, "
            "percent; 'none': read from each original."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the profile (after any change) as JSON.")
    ] = False,
    home: HomeOption = None,
) -> None:
    """Show a merchant's profile, or set it: what its copy must respect (forbidden words, a
    discount cap) and how it speaks. A merchant not yet in the store is created."""
    changes: dict[str, Any] = {
        "name": name,
        "brand_voice": brand_voice,
        "locale": locale,
        "max_discount": max_discount,
        "forbidden_words": forbidden_words,
        "merge_fields": merge_fields,
    }
    changes = {field: value for field, value in changes.items() if value is not None}
    if changes.get("merge_fields", "").strip().lower() == "none":
        changes["merge_fields"] = None
    if changes.get("max_discount", "").strip().lower() == "none":
        changes["max_discount"] = None
    if "forbidden_words" in changes:
        words = (word.strip() for word in changes["forbidden_words"].split(","))
        changes["forbidden_words"] = tuple(dict.fromkeys(word for word in words if word))
    with Store(store_url(home)) as store:
        profile = store.merchant(merchant_id)
        if not changes:
            if profile is None:
                errors.print(
                    f"merchant {merchant_id} is not in the store; import its templates with "
                    f"`crmagent ingest`, or create its profile with `crmagent merchant "
                    f"{merchant_id} --name NAME`",
                    style="bold red",
                )
                raise typer.Exit(EXIT_INVALID)
            _print_profile(profile, as_json)
            return
        current = profile.model_dump() if profile else {"merchant_id": merchant_id}
        try:
            updated = Merchant.model_validate({"name": merchant_id, **current, **changes})
        except ValidationError as exc:
            errors.print(validation_problems(exc, "merchant"), style="bold red", markup=False)
            raise typer.Exit(EXIT_INVALID) from exc
        with store.transaction():
            store.put_merchants([updated])
    if not as_json:
        console.print(f"{merchant_id}: profile {'created' if profile is None else 'updated'}.")
    _print_profile(updated, as_json)


def _print_profile(profile: Merchant, as_json: bool) -> None:
    if as_json:
        typer.echo(profile.model_dump_json())
        return
    cap = "none" if profile.max_discount is None else f"{profile.max_discount:g}%"
    words = ", ".join(profile.forbidden_words) or "none"
    console.print(
        f"{profile.merchant_id}: name {profile.name!r}, brand voice {profile.brand_voice}, "
        f"locale {profile.locale}, max discount {cap}, forbidden words: {words}, merge fields: "
        f"{profile.merge_fields or 'as each original writes them'}",
        markup=False,
        highlight=False,
    )


@app.command()
def demo(home: HomeOption = None) -> None:
    """Build the sample world if absent and show one campaign in each mode."""
    from crmagent.demo import run_demo
    from graph.context import Context

    config = settings(home)
    run_demo(console, config.home, Context(home=str(config.home)))


def _load_request(path: Path) -> dict[str, Any]:
    try:
        item = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, json.JSONDecodeError) as exc:
        errors.print(f"{path}: cannot read a JSON request: {exc}", style="bold red")
        raise typer.Exit(EXIT_INVALID) from exc
    if not isinstance(item, dict):
        errors.print(f"{path}: expected one JSON object (a CampaignRequest)", style="bold red")
        raise typer.Exit(EXIT_INVALID)
    return item


@app.command()
def generate(
    request: Annotated[
        Path | None, typer.Option("--request", help="A CampaignRequest as a JSON file.")
    ] = None,
    merchant_id: Annotated[str | None, typer.Option(help="The merchant.")] = None,
    segment: Annotated[str | None, typer.Option(help="Audience segment.")] = None,
    channel: Annotated[str | None, typer.Option(help="im, sms, push or email.")] = None,
    voucher_type: Annotated[
        str | None, typer.Option(help="percent_off, amount_off, ...; none: no offer.")
    ] = None,
    voucher_value: Annotated[float, typer.Option(help="Percent or amount.")] = 0.0,
    min_spend: Annotated[float | None, typer.Option(help="Minimum basket.")] = None,
    expires: Annotated[str | None, typer.Option(help="Last valid day, YYYY-MM-DD.")] = None,
    code: Annotated[str | None, typer.Option(help="Voucher code.")] = None,
    category: Annotated[str | None, typer.Option(help="Taxonomy path a>b>c.")] = None,
    product: Annotated[
        str | None, typer.Option(help="Product name; none: the category or the whole store.")
    ] = None,
    purpose: Annotated[
        str | None,
        typer.Option(help="promotion, back_in_stock, new_arrivals, ...; default: read from it."),
    ] = None,
    original: Annotated[str | None, typer.Option(help="The current text.")] = None,
    original_subject: Annotated[
        str | None, typer.Option(help="The current e-mail subject or push title.")
    ] = None,
    locale: Annotated[str, typer.Option(help="Language of the copy.")] = "en",
    variants: Annotated[
        int | None,
        typer.Option(
            "--variants",
            min=1,
            max=5,
            help="Templates for an A/B test (1-5): the main one and variants that flip the "
            "features the evidence is least sure of; overrides the request file's.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the GenerationResult JSON.")
    ] = False,
    home: HomeOption = None,
) -> None:
    """Write one template for a campaign (a JSON request file, or flags); with --variants K,
    K templates for an A/B test, each variant with the hypothesis it tests."""
    from crmagent.api import generate as run
    from crmagent.demo import render
    from graph.context import Context

    if request is not None:
        payload = _load_request(request)
    else:
        payload = {
            "merchant_id": merchant_id,
            "segment": segment,
            "channel": channel,
            "voucher": {
                "type": voucher_type,
                "value": voucher_value,
                "min_spend": min_spend,
                "expires": expires,
                "code": code,
            }
            if voucher_type
            else None,
            "product_category": category,
            "product_name": product,
            "purpose": purpose,
            "original_template": original,
            "original_subject": original_subject,
            "locale": locale,
        }
    if variants is not None:
        payload = {**payload, "variants": variants}
    config = settings(home)
    try:
        result = run(payload, context=Context(home=str(config.home)))
    except (ValueError, FileNotFoundError) as exc:
        errors.print(str(exc), style="bold red", markup=False)
        raise typer.Exit(EXIT_INVALID) from exc
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        render(console, "request", payload, result)


@app.command()
def batch(
    source: Annotated[Path, typer.Argument(help="CampaignRequests, one JSON object a line.")],
    target: Annotated[Path, typer.Argument(help="Results, one JSON line per request.")],
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once.")] = 2,
    max_calls: Annotated[
        int | None,
        typer.Option(
            help="Model calls this run may spend; past it requests get the grounded answer, "
            "flagged as degraded."
        ),
    ] = None,
    review: Annotated[
        bool,
        typer.Option(
            "--review",
            help="Stop each request for approval: its draft waits in the review queue (the "
            "web app's Review queue, GET /reviews) and its line says 'awaiting review'.",
        ),
    ] = False,
    ray: Annotated[
        str | None,
        typer.Option(
            help="Answer on a Ray cluster: 'auto' (RAY_ADDRESS, else the cluster started on "
            "this machine, else a new local one) or the cluster's address. Same output, in "
            "input order; needs the ray extra.",
            metavar="auto|ADDRESS",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Ray actors answering (default: one per CPU of the cluster).",
            show_default=False,
        ),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Answer many requests; resumable: rerun after a kill and it carries on."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from crmagent.batch import run_batch
    from graph.context import Context

    if not source.exists():
        errors.print(f"{source}: no such file", style="bold red")
        raise typer.Exit(EXIT_INVALID)
    if workers is not None and ray is None:
        errors.print("--workers sets the Ray actors: give --ray too", style="bold red")
        raise typer.Exit(EXIT_INVALID)
    total = sum(1 for line in source.open(encoding="utf-8-sig") if line.strip())
    config = settings(home)
    # A line once written counts as done on a rerun: a wrong model must stop the batch here.
    context = _checked(Context(home=str(config.home), require_approval=review))
    with Progress(
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=errors,
    ) as bar:
        task = bar.add_task("generating", total=total)
        try:
            report = run_batch(
                source,
                target,
                context=context,
                max_concurrency=concurrency,
                progress=lambda n: bar.advance(task, n),
                max_calls=max_calls,
                ray=ray,
                workers=workers,
            )
        except ModuleNotFoundError as exc:
            errors.print(str(exc), style="bold red", markup=False)
            raise typer.Exit(EXIT_INVALID) from exc
        except RuntimeError as exc:
            errors.print(str(exc), style="bold red", markup=False)
            raise typer.Exit(1) from exc
    spent = ""
    if report.calls or report.judge_calls:
        tokens = (
            f", {report.input_tokens:,} tokens in, {report.output_tokens:,} out"
            if (report.input_tokens is not None and report.output_tokens is not None)
            else ""
        )
        spent = (
            f" Model: {report.calls} call(s) and {report.judge_calls} judge call(s){tokens}; "
            f"{report.degraded} answer(s) replaced by the grounded one."
        )
    console.print(
        f"{target}: {report.written} line(s) written ({report.errors} error line(s)), "
        f"{report.skipped} already done, {report.total} in all.{spent}"
    )


@app.command()
def bench(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    seed: Annotated[int, typer.Option(help="Arena world to measure on.")] = 1,
    model: Annotated[
        str | None,
        typer.Option(
            help="Measure this model instead (e.g. gguf:PATH or openai:NAME): acceptance, "
            "replacement reasons, calls, tokens and seconds per template."
        ),
    ] = None,
    requests: Annotated[int, typer.Option(help="Requests for --model.")] = 6,
    candidates: Annotated[int, typer.Option(help="Candidates per call for --model.")] = 1,
    writer_mode: Annotated[
        str, typer.Option(help="How --model writes: auto, rewrite or lines.")
    ] = "auto",
    home: HomeOption = None,
) -> None:
    """Measure throughput, orchestration overhead, model calls, retrieval latency, ingest,
    arena build, the embedding candidates and peak memory, in one run; or, with --model,
    how a real model fares as the writer."""
    _worlds_on_files("The benchmark", ("CRMAGENT_STORE_URL",))
    from crmagent.measure.bench import model_bench, run_bench

    if model is not None:
        figures = model_bench(
            settings(home).home / "bench-model",
            model,
            requests,
            candidates=candidates,
            writer_mode=writer_mode,
        )
        typer.echo(json.dumps(figures, indent=2))
        return
    report = run_bench(settings(home).home / "bench", seed)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    table = Table(title=f"CRMAgent benchmark (arena seed {seed}, {report['seconds']}s)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in report.items():
        if not isinstance(value, dict):
            table.add_row(name, str(value))
            continue
        for part, figures in value.items():  # the embeddings, the store sizes
            shown = (
                ", ".join(f"{k} {v}" for k, v in figures.items())
                if isinstance(figures, dict)
                else str(figures)
            )
            table.add_row(f"{name} {part}", shown)
    console.print(table, soft_wrap=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    home: HomeOption = None,
) -> None:
    """Serve CRMAgent over HTTP: the web app at /, LangServe routes at /crmagent, the review
    queue at /reviews, experiments at /experiments, /healthz."""
    from crmagent.service import serve as run_service
    from graph.context import Context

    run_service(host, port, _checked(Context(home=str(settings(home).home))))


key_app = typer.Typer(
    help="Keys for the HTTP service and the web app, each scoped to merchants and a role.",
    no_args_is_help=True,
)
app.add_typer(key_app, name="key")


@key_app.command("create")
def key_create(
    merchant: Annotated[
        list[str], typer.Option("--merchant", help="A merchant the key may act for (repeat).")
    ],
    role: Annotated[
        str, typer.Option(help="viewer (reads), editor (also writes, approves, imports), admin.")
    ] = "editor",
    label: Annotated[str | None, typer.Option(help="Who or what the key is for.")] = None,
    home: HomeOption = None,
) -> None:
    """Make a key; it is printed once, as the last line, and stored only hashed."""
    from tools.crm import access_for

    try:
        secret = access_for(settings(home).home).create_key(merchant, role, label)  # type: ignore[arg-type]
    except ValueError as error:
        errors.print(str(error), style="bold red", highlight=False)
        raise typer.Exit(EXIT_INVALID) from error
    console.print(
        f"Key for {', '.join(sorted(set(merchant)))} ({role}). Keep it now: it is not shown again."
    )
    typer.echo(secret)


@key_app.command("list")
def key_list(home: HomeOption = None) -> None:
    """Every key: its id, merchants, role, label, when made and when revoked."""
    from tools.crm import access_for

    table = Table("key id", "merchants", "role", "label", "created", "revoked")
    for key in access_for(settings(home).home).all_keys():
        table.add_row(
            key.key_id,
            ", ".join(key.merchants),
            key.role,
            key.label or "",
            key.created_at,
            key.revoked_at or "",
        )
    console.print(table)


@key_app.command("revoke")
def key_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (crmagent key list).")],
    home: HomeOption = None,
) -> None:
    """Revoke a key: it stops working at once, and its web sessions end."""
    from tools.crm import access_for

    if not access_for(settings(home).home).revoke(key_id):
        errors.print(f"no live key {key_id!r}: see `crmagent key list`", style="bold red")
        raise typer.Exit(EXIT_INVALID)
    console.print(f"Key {key_id} revoked.")


app.add_typer(experiment_app, name="experiment")


def _checked(context: Context) -> Context:
    """The run's settings, once every model they name can be built; else exit 2 saying why."""
    from graph.context import check_models

    try:
        check_models(context)
    except ValueError as error:
        errors.print(str(error), style="bold red", highlight=False)
        raise typer.Exit(EXIT_INVALID) from error
    return context


@app.command()
def loadtest(
    url: Annotated[str, typer.Option(help="A running `crmagent serve`, on this machine.")] = (
        "http://127.0.0.1:8000"
    ),
    concurrency: Annotated[int, typer.Option(help="Clients at once.")] = 50,
    requests: Annotated[int, typer.Option(help="Requests in all.")] = 1000,
    seed: Annotated[int, typer.Option(help="Arena world the requests come from.")] = 1,
    api_key: Annotated[
        str | None, typer.Option(envvar="CRMAGENT_LOADTEST_KEY", help="An API key, if set.")
    ] = None,
    home: HomeOption = None,
) -> None:
    """Load-test the HTTP service (loopback only; bounded in count and time)."""
    from crmagent.measure.bench import sample_requests
    from crmagent.measure.loadtest import check_loopback, load_test

    try:
        check_loopback(url)
    except ValueError as exc:
        errors.print(str(exc), style="bold red")
        raise typer.Exit(EXIT_INVALID) from exc
    folder = settings(home).home / "bench" / f"seed-{seed}"
    if not (folder / "crm.sqlite").exists():
        build_world(folder, seed, replace=True)
    with Store(folder / "crm.sqlite") as store:
        pool = sample_requests(store, min(requests, 500), seed)
    payloads = [pool[i % len(pool)] for i in range(requests)]
    typer.echo(
        json.dumps(load_test(url, payloads, concurrency=concurrency, api_key=api_key), indent=2)
    )


arena_app = typer.Typer(
    help="The arena: a simulated CRM world that scores copy.", no_args_is_help=True
)
app.add_typer(arena_app, name="arena")


def _worlds_on_files(job: str, settings_named: tuple[str, ...]) -> None:
    """Refuse a job that builds its worlds under its own folder while a setting points the
    store (or the index) elsewhere: its agent would read that server, not its world."""
    import os

    set_here = [name for name in settings_named if os.environ.get(name)]
    if set_here:
        errors.print(
            f"{job} builds its worlds in files under its folder, but {', '.join(set_here)} "
            f"{'is' if len(set_here) == 1 else 'are'} set, so its agent would read that "
            f"server instead; run it with {' and '.join(set_here)} unset",
            style="bold red",
            markup=False,
        )
        raise typer.Exit(EXIT_INVALID)


@arena_app.callback()
def arena_on_files() -> None:
    """The arena: a simulated CRM world that scores copy."""
    _worlds_on_files("The arena", ("CRMAGENT_STORE_URL", "CRMAGENT_INDEX_URL"))


@arena_app.command("build")
def arena_build(
    seed: Annotated[int, typer.Option(help="Same seed, same world.")] = 1,
    merchants: Annotated[int, typer.Option(help="How many merchants (at least 10).")] = 40,
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite a store that holds imported data.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    home: HomeOption = None,
) -> None:
    """Generate a seeded world into the CRM store; its latent variables go beside it."""
    try:
        built = build_world(settings(home).home, seed, merchants, replace=replace)
    except (WorldExistsError, QualityError, ValueError) as exc:
        errors.print(str(exc), style="bold red", markup=False)
        raise typer.Exit(EXIT_INVALID) from exc
    if as_json:
        console.print_json(
            data={
                "seed": built.seed,
                "merchants": built.merchants,
                "campaigns": built.campaigns,
                "templates": built.templates,
                "sends": built.sends,
                "store": str(built.store),
                "seconds": round(built.seconds, 3),
            }
        )
        return
    console.print(
        f"arena world seed {built.seed}: {built.merchants} merchants, {built.campaigns:,} "
        f"campaigns, {built.templates:,} templates, {built.sends:,} sends in "
        f"{built.seconds:.1f}s; quality checks passed.\nstore: {built.store}"
    )


WorldOption = Annotated[
    str,
    typer.Option(
        "--world",
        help="The kind of world: default (best practice's structure), contrarian (drawn "
        "against it per seed), mixed (half of each).",
    ),
]


BestTasksOption = Annotated[
    int,
    typer.Option(
        "--best-tasks",
        help="Tasks against good originals (the merchant's best template in the segment).",
    ),
]


def _world(kind: str) -> str:
    from arena.hidden import WORLD_KINDS

    if kind not in WORLD_KINDS:
        raise typer.BadParameter(f"{kind!r}: the world is one of {', '.join(WORLD_KINDS)}")
    return kind


@arena_app.command("run")
def arena_run(
    seed: Annotated[int, typer.Option(help="The world to run in.")] = 1,
    tasks: Annotated[int, typer.Option(help="Marketer tasks.")] = 60,
    variant: Annotated[
        list[str] | None, typer.Option(help="Variant(s) to run (default: all).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    world: WorldOption = "default",
    best_tasks: BestTasksOption = 20,
    home: HomeOption = None,
) -> None:
    """Run CRMAgent on the arena's held-out tasks and print the leaderboard."""
    from arena.report import HEADER, good_original_lines, head_to_head, leaderboard_rows
    from arena.runner import VARIANTS, run_arena, run_folder
    from crmagent.arena_agent import CRMAgent

    config = settings(home)
    folder = run_folder(config.home / "arena-runs", seed, _world(world))
    chosen = variant or list(VARIANTS)
    extra = {}
    if config.model != "offline":  # the configured model joins the leaderboard
        from graph.context import Context

        _checked(Context(home=str(config.home), model=config.model))
        extra[f"full:{config.model}"] = {
            "modes": ["group", "retrieval", "rules"],
            "model": config.model,
        }
        extra["model_direct"] = {"direct": config.model}  # the same model, no evidence
        chosen = [*chosen, *extra]
    try:
        run = run_arena(
            folder,
            seed,
            CRMAgent(),
            tasks=tasks,
            variants=chosen,
            extra_variants=extra,
            world=world,
            best_tasks=best_tasks,
        )
    except ValueError as exc:
        errors.print(str(exc), style="bold red", markup=False)
        raise typer.Exit(EXIT_INVALID) from exc
    if "model_direct" in run.scores:
        from arena.runner import named_duel

        run.figures["model_vs_direct"] = named_duel(
            "full_model",
            "model_direct",
            run.scores[f"full:{config.model}"],
            run.scores["model_direct"],
            seed,
        )
    if as_json:
        typer.echo(json.dumps(run.figures, indent=2))
        return
    table = Table(
        title=f"arena seed {seed} ({world} world): {run.figures['tasks']} marketer tasks "
        f"(oracle pool {run.figures['oracle_pool']} texts each)"
    )
    for column in HEADER:
        table.add_column(column, justify="left" if column in {"variant", "modes"} else "right")
    for row in leaderboard_rows(run.figures):
        table.add_row(*row)
    console.print(table, soft_wrap=False)
    duel = run.figures.get("model_vs_direct")
    if duel:
        console.print(
            f"full with {config.model} vs the same model asked directly: {duel['verdict']}, "
            f"text ratio {duel.get('text_ratio')} over {duel['tasks']} tasks",
            markup=False,
        )
    for line in head_to_head(run.figures) + good_original_lines(run.figures):
        console.print(line.replace("`", ""), soft_wrap=False, markup=False)
    analyst_fig, compliance_fig = run.figures["analyst"], run.figures["compliance"]
    console.print(
        f"analyst questions: {analyst_fig['accuracy']:.0%} exact ({analyst_fig['questions']}, "
        f"{analyst_fig['no_answer_share']:.0%} without an answer); compliance: "
        f"{compliance_fig['accuracy']:.0%} exact ({compliance_fig['questions']}); "
        f"{run.figures['seconds']}s"
    )


def _seeds(text: str) -> list[int]:
    """``7-16`` or ``1,2,3`` (or both: ``1-3,7``) as a list of seeds."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.strip().partition("-")
            seeds += range(int(low), int(high or low) + 1)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r}: give seeds as 7-16 or 1,2,3") from exc
    return seeds


@arena_app.command("sweep")
def arena_sweep(
    seeds: Annotated[str, typer.Option(help="Worlds to run: 7-16, or 1,2,3.")] = "7-16",
    tasks: Annotated[int, typer.Option(help="Marketer tasks per world.")] = 60,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    world: WorldOption = "default",
    best_tasks: BestTasksOption = 20,
    home: HomeOption = None,
) -> None:
    """Run the arena on several worlds and pool the head-to-heads over all their tasks."""
    from arena.report import good_original_lines, head_to_head, sweep_lines
    from arena.runner import sweep
    from crmagent.arena_agent import CRMAgent

    try:
        figures = sweep(
            settings(home).home / "arena-runs",
            _seeds(seeds),
            CRMAgent(),
            tasks=tasks,
            world=_world(world),
            best_tasks=best_tasks,
        )
    except ValueError as exc:
        errors.print(str(exc), style="bold red", markup=False)
        raise typer.Exit(EXIT_INVALID) from exc
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return

    def verdicts(duels: dict[str, Any]) -> str:
        return ", ".join(
            f"vs {name} {d['verdict']} "
            f"({100 * (d['full_mean_lift'] - d['variant_mean_lift']):+.1f} points)"
            for name, d in duels.items()
        )

    for seed, fig in figures["per_seed"].items():
        console.print(
            f"seed {seed}: {fig['tasks']} tasks, mean lift {fig['mean_lift']:+.1%}, captured "
            f"{fig['captured']:.2f}; on each variant's own-mode tasks "
            f"{verdicts(fig['full_beats'])}; on all tasks "
            f"{verdicts(fig['full_beats_all_tasks'])}",
            soft_wrap=False,
            markup=False,
        )
    console.print(f"all {len(figures['seeds'])} seeds pooled:", markup=False)
    for line in head_to_head(figures) + sweep_lines(figures) + good_original_lines(figures):
        console.print(line.replace("`", ""), soft_wrap=False, markup=False)
    console.print(f"mean captured {figures['captured_mean']:.2f}; {figures['seconds']}s")


@arena_app.command("loop")
def arena_loop(
    seed: Annotated[int, typer.Option(help="The world to run in.")] = 1,
    rounds: Annotated[int, typer.Option(help="Rounds of write, send, import.")] = 10,
    sends: Annotated[int, typer.Option(help="Sends per campaign per round.")] = 2000,
    campaigns: Annotated[int, typer.Option(help="Rewrite tasks of rich merchants.")] = 8,
    rewrite: Annotated[
        str, typer.Option(help="once: the agent writes in round 1; every: each round.")
    ] = "once",
    arms: Annotated[
        str,
        typer.Option(
            help="settings: a text per run setting; variants: one request asking for variants."
        ),
    ] = "settings",
    out: Annotated[
        Path | None, typer.Option(help="Folder for loop.json and the cumulative plot.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    world: WorldOption = "default",
    home: HomeOption = None,
) -> None:
    """The closed loop (issue #41): rounds of the agent's texts sent by Thompson sampling,
    results imported, against the original alone, a fixed A/B test and the oracle."""
    from arena.loop import loop_lines, run_loop
    from arena.runner import run_folder
    from crmagent.arena_agent import CRMAgent, thompson

    folder = run_folder(settings(home).home / "arena-runs", seed, _world(world))
    try:
        figures = run_loop(
            folder,
            seed,
            CRMAgent(),
            thompson,
            rounds=rounds,
            sends=sends,
            campaigns=campaigns,
            world=world,
            rewrite=rewrite,
            arms=arms,
        )
    except ValueError as exc:
        errors.print(str(exc), style="bold red", markup=False)
        raise typer.Exit(EXIT_INVALID) from exc
    if out is not None:
        from arena.report import plot_loop

        out.mkdir(parents=True, exist_ok=True)
        (out / "loop.json").write_text(json.dumps(figures, indent=2) + "\n")
        figures["plot"] = str(plot_loop(figures, out))
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    for line in loop_lines(figures):
        console.print(line, soft_wrap=False, markup=False)


@arena_app.command("report")
def arena_report(
    out: Annotated[Path, typer.Option(help="Folder for report.md, report.html and plots.")],
    seed: Annotated[int, typer.Option(help="The world to run in.")] = 1,
    tasks: Annotated[int, typer.Option(help="Marketer tasks.")] = 60,
    world: WorldOption = "default",
    best_tasks: BestTasksOption = 20,
    loop_rounds: Annotated[
        int, typer.Option(help="Rounds of the closed loop to report (0: leave it out).", min=0)
    ] = 10,
    home: HomeOption = None,
) -> None:
    """Run the arena and write a Markdown/HTML report with plots, the closed loop's
    cumulative conversions per policy among them."""
    from arena.loop import run_loop
    from arena.report import write_report
    from arena.runner import run_arena, run_folder
    from crmagent.arena_agent import CRMAgent, thompson

    folder = run_folder(settings(home).home / "arena-runs", seed, _world(world))
    run = run_arena(folder, seed, CRMAgent(), tasks=tasks, world=world, best_tasks=best_tasks)
    loop = (
        run_loop(folder, seed, CRMAgent(), thompson, rounds=loop_rounds, world=world)
        if loop_rounds
        else None
    )
    markdown, page = write_report(run, out, loop)
    console.print(f"wrote {markdown} and {page}")


readers_app = typer.Typer(
    help="Blind A/B judging of copy by readers: a sheet to hand out, their answers scored.",
    no_args_is_help=True,
)
app.add_typer(readers_app, name="readers")


@readers_app.command("direct")
def readers_direct(
    requests: Annotated[Path, typer.Argument(help="The requests, one JSON object a line.")],
    out: Annotated[Path, typer.Argument(help='Where to write {"id", "subject", "body"} lines.')],
    model: Annotated[str, typer.Option(help="The model, as provider:model.")],
    concurrency: Annotated[int, typer.Option(help="Requests at a time.")] = 3,
    timeout: Annotated[float, typer.Option(help="Seconds a call may take.")] = 120.0,
) -> None:
    """The same model asked directly: each request's message from a plain copywriter's brief
    with the same facts and no evidence, the baseline `readers sheet --versus` reads."""
    from concurrent.futures import ThreadPoolExecutor

    from crmagent.measure import readers
    from tools.models import Spend, load_model

    try:
        asked = readers.read_requests(requests)
        writer = load_model(model, timeout)
    except (readers.ReadersError, ValueError) as exc:
        errors.print(str(exc), style="bold red", markup=False)
        raise typer.Exit(EXIT_INVALID) from exc
    if writer is None:
        errors.print("--model: give a provider:model, not offline", style="bold red")
        raise typer.Exit(EXIT_INVALID)

    def one(item: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        spend = Spend()
        text = readers.direct(item[1], writer, spend)
        if text is None:
            return {"id": item[0], "error": "; ".join(spend.problems) or "no answer"}
        return {"id": item[0], "subject": text.subject, "body": text.body}

    with ThreadPoolExecutor(max(1, concurrency)) as pool:
        lines = list(pool.map(one, asked.items()))
    out.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
    failed = sum("error" in line for line in lines)
    typer.echo(f"wrote {out}: {len(lines) - failed} message(s), {failed} error line(s)")


@readers_app.command("sheet")
def readers_sheet(
    requests: Annotated[Path, typer.Argument(help="The requests, one JSON object a line.")],
    ours: Annotated[Path, typer.Argument(help="`crmagent batch` output for those requests.")],
    out: Annotated[
        Path, typer.Option(help="Folder for sheet.md (for readers) and key.json (kept back).")
    ],
    versus: Annotated[
        str,
        typer.Option(
            help="original (the merchant's own text), or a JSONL file of other rewrites, "
            '{"id", "subject", "body"} a line.'
        ),
    ] = "original",
    seed: Annotated[int, typer.Option(help="Same seed, same order and sides.")] = 1,
) -> None:
    """Write a blind A/B sheet (ours against the other side, in a seeded order) and its key."""
    from crmagent.measure import readers

    try:
        asked = readers.read_requests(requests)
        texts, ours_errors = readers.read_texts(ours)
        other, other_errors = (
            (None, []) if versus == "original" else readers.read_texts(Path(versus))
        )
        paired = readers.pair(
            asked, texts, other, ours_errors=ours_errors, other_errors=other_errors
        )
        markdown, key = readers.build_sheet(paired.items, seed, versus)
        sheet_path, key_path = readers.write_sheet(out, markdown, key)
    except readers.ReadersError as exc:
        errors.print(str(exc), style="bold red", markup=False)
        raise typer.Exit(EXIT_INVALID) from exc
    as_a = sum(entry["ours"] == "A" for entry in key["items"].values())
    typer.echo(
        f"wrote {sheet_path} and {key_path}: {len(paired.items)} item(s), ours as A in {as_a}"
    )
    left_out = {
        f"error line(s) in {ours}": paired.error_lines,
        f"error line(s) in {versus}": paired.other_error_lines,
        f"request(s) with no line in {ours}": paired.no_ours,
        f"request(s) with no text in {versus}": paired.no_other,
        f"text(s) in {versus} for no request": paired.unused_other,
    }
    skipped = [f"{count} {what}" for what, count in left_out.items() if count]
    if skipped:
        typer.echo("skipped: " + "; ".join(skipped))
    kept_ours, kept_other = readers.kept_medians(paired.items)
    typer.echo(
        f"median share of the original's content words kept: ours {kept_ours:.2f}, "
        f"{versus} {kept_other:.2f}"
    )


@readers_app.command("score")
def readers_score(
    key: Annotated[Path, typer.Argument(help="key.json from `crmagent readers sheet`.")],
    answers: Annotated[
        list[Path], typer.Argument(help='One reader\'s answers a file: {"item-01": "A", ...}.')
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Score readers' answers against a sheet's key: how often each preferred ours."""
    from crmagent.measure import readers

    try:
        keyed = readers.read_json(key)
        if not isinstance(keyed, dict):
            raise readers.ReadersError(f"{key}: expected the JSON object of a key.json")
        given = [readers.read_json(path) for path in answers]
        scores = readers.score(keyed, given, names=[str(path) for path in answers])
    except readers.ReadersError as exc:
        errors.print(str(exc), style="bold red", markup=False)
        raise typer.Exit(EXIT_INVALID) from exc
    if as_json:
        figures = {"seed": keyed.get("seed"), "versus": keyed.get("versus"), **scores.to_dict()}
        typer.echo(json.dumps(figures, indent=2))
        return
    typer.echo(readers.describe(scores))


@app.command()
def summary(home: HomeOption = None) -> None:
    """Templates, sends and conversions per merchant and segment."""
    with Store(store_url(home)) as store:
        _print_summary(store)


def main() -> None:
    """Entry point of the console script."""
    try:
        app()
    except StoreUnavailable as exc:  # a wrong store URL or a server down: say what to fix
        errors.print(str(exc), style="bold red", markup=False, highlight=False)
        raise SystemExit(1) from exc
