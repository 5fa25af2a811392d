"""The web app's routes: sign in, write, a result under review, the queue, and the data.

Every route but sign-in takes the signed-in ``Viewer`` from one dependency, and every
merchant a route touches is checked against the viewer's key there: a result, a review or a
profile of another merchant answers 404, as if it did not exist. Forms carry the session's
CSRF token; changes need an editor (approving, importing, profiles) or more.
"""

# No ``from __future__ import annotations`` here: FastAPI reads each route's parameter
# types at definition time, and ``Signed`` is local to ``router``.
import csv
import io
import json
import tempfile
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from crmagent import experiments, reviews
from crmagent.api import make_context
from crmagent.tenants import own_evidence, protected, visible
from crmagent.web.experiment_pages import add_experiment_pages
from crmagent.web.session import COOKIE, SignInNeeded, Viewer, sign_in, viewer_of
from crmagent.web.views import marked, preview, removals
from graph.checkpoint import durable_graph
from graph.context import Context
from graph.nodes import recheck
from graph.state import State
from tools.crm import IngestError, ReviewRow, access_for, store_for
from tools.crm.ingest import Problem, spreadsheet_safe, validate_file
from tools.domain import (
    CampaignRequest,
    Channel,
    GenerationResult,
    Merchant,
    Purpose,
    VoucherType,
    validation_problems,
)
from tools.message.rules import sender_of

HERE = Path(__file__).parent
STATIC = HERE / "static"
QUEUE_LIMIT = 200


def router(context: Context | None = None) -> APIRouter:
    """The pages, on the run settings ``context`` (default: from the environment)."""
    settings = make_context(context)
    home = Path(settings.home).resolve()
    pages = Jinja2Templates(directory=HERE / "templates")
    routes = APIRouter(include_in_schema=False)

    def viewer(request: Request) -> Viewer:
        return viewer_of(request, home)

    Signed = Annotated[Viewer, Depends(viewer)]

    def page(
        request: Request, name: str, who: Viewer | None, status: int = 200, **values: Any
    ) -> HTMLResponse:
        context = {"who": who, "csrf": who.csrf if who else "", **values}
        return pages.TemplateResponse(request, name, context, status_code=status)

    def merchants_of(who: Viewer) -> list[str]:
        if who.principal.merchants is not None:
            return sorted(who.principal.merchants)
        return sorted(access_for(home).merchants())

    def owned_review(who: Viewer, thread_id: str) -> ReviewRow:
        row = access_for(home).review(thread_id)
        if row is None or not who.principal.allows(row.merchant_id):
            raise HTTPException(404, "no such result")
        return row

    # -- signing in ---------------------------------------------------------------------------

    @routes.get("/signin")
    def signin_form(request: Request, next: str = "/write") -> Response:
        next = _local(next)
        opened = sign_in(None, home) if not protected(home) else None
        if opened is not None:  # a deployment without keys: nobody to tell apart
            return _signed_in(request, opened[0], next)
        return page(request, "signin.html", None, next=next, error=None)

    @routes.post("/signin")
    def signin(
        request: Request, key: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"
    ) -> Response:
        opened = sign_in(key.strip(), home)
        if opened is None:
            return page(
                request,
                "signin.html",
                None,
                next=next,
                error="That key is not valid (or was revoked). Ask your admin for a key.",
                status=401,
            )
        return _signed_in(request, opened[0], _local(next))

    @routes.post("/signout")
    def signout(request: Request, who: Signed, csrf: Annotated[str, Form()] = "") -> Response:
        who.check(csrf)
        access_for(home).close_session(request.cookies.get(COOKIE, ""))
        response = RedirectResponse("/signin", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    # -- writing ------------------------------------------------------------------------------

    @routes.get("/")
    def home_page() -> Response:
        return RedirectResponse("/write", status_code=303)

    @routes.get("/write")
    def write_form(request: Request, who: Signed) -> HTMLResponse:
        return page(request, "write.html", who, **_write_values(merchants_of(who), {}, []))

    @routes.post("/write")
    async def write(request: Request, who: Signed) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        who.check(form.get("csrf"))
        problems: list[str] = []
        try:
            campaign = CampaignRequest.model_validate(_request_of(form))
        except ValidationError as exc:
            problems = validation_problems(exc, "campaign").splitlines()
        else:
            if not who.principal.allows(campaign.merchant_id):
                problems = [f"merchant_id: this key may not write for {campaign.merchant_id}"]
        if problems:
            values = _write_values(merchants_of(who), form, problems)
            return page(request, "write.html", who, status=422, **values)
        row = reviews.submit(campaign, settings, by=who.principal.key_id)
        return RedirectResponse(f"/results/{row.thread_id}", status_code=303)

    @routes.get("/results/{thread_id}")
    def result_page(request: Request, who: Signed, thread_id: str) -> HTMLResponse:
        row = owned_review(who, thread_id)
        return page(request, "result.html", who, **_result_values(row, who, home))

    @routes.post("/results/{thread_id}/decide")
    async def decide(request: Request, who: Signed, thread_id: str) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        who.check(form.get("csrf"))
        who.need("editor")
        row = owned_review(who, thread_id)
        decision = form.get("decision", "")
        if decision not in {"approve", "edit", "reject", "another"}:
            raise HTTPException(422, "decision: approve, edit, reject or another")
        if decision == "approve" and _edited(row, form):
            decision = "edit"
        try:
            reviews.decide(
                row.thread_id,
                decision,  # type: ignore[arg-type]
                context=settings,
                body=form.get("body"),
                subject=form.get("subject") or None,
                reason=form.get("reason") or None,
                by=who.principal.key_id,
            )
        except LookupError as exc:
            raise HTTPException(409, str(exc)) from exc
        return RedirectResponse(f"/results/{thread_id}", status_code=303)

    @routes.post("/results/{thread_id}/experiment")
    async def start_experiment(request: Request, who: Signed, thread_id: str) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        who.check(form.get("csrf"))
        who.need("editor")
        row = owned_review(who, thread_id)
        original, result = row.request, row.result
        texts = [result["template"], *(v["template"] for v in result.get("variants", []))]
        made = experiments.create(
            home,
            row.merchant_id,
            row.segment,
            row.channel,
            (original.get("original_subject"), original.get("original_template") or ""),
            [(t.get("subject"), t["body"]) for t in texts],
        )
        return RedirectResponse(f"/tests/{made.experiment_id}", status_code=303)

    @routes.post("/results/{thread_id}/check")
    async def check(request: Request, who: Signed, thread_id: str) -> JSONResponse:
        who.check(request.headers.get("x-csrf-token"))
        row = owned_review(who, thread_id)
        asked = await request.json()
        values = durable_graph(home).get_state({"configurable": {"thread_id": thread_id}}).values
        ctx = replace(settings, require_approval=True)
        body = str(asked.get("body") or "")
        subject = str(asked.get("subject") or "") or None
        report, scores, segments = recheck(cast(State, values), subject, body, ctx)
        original = row.result["scores"]["predicted_cvr"]
        return JSONResponse(
            {
                "passed": report.passed,
                "violations": [v.model_dump() for v in report.violations],
                "repairs": report.repairs,
                "predicted_cvr": scores.predicted_cvr,
                "predicted_cvr_low": scores.predicted_cvr_low,
                "predicted_cvr_high": scores.predicted_cvr_high,
                "drafted_cvr": original,
                "marketing_effectiveness": scores.marketing_effectiveness,
                "audience_match": scores.audience_match,
                "segments": segments if row.channel == "sms" else None,
            }
        )

    # -- the queue ----------------------------------------------------------------------------

    @routes.get("/queue")
    def queue(
        request: Request,
        who: Signed,
        status: str = "pending",
        segment: str = "",
        channel: str = "",
        mode: str = "",
        flagged: str = "",
        page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
    ) -> HTMLResponse:
        rows = access_for(home).reviews(
            who.principal.merchants,
            status=status or None,
            segment=segment or None,
            channel=channel or None,
            mode=mode or None,
            flagged=True if flagged == "yes" else None,
            limit=QUEUE_LIMIT + 1,
            offset=(page_number - 1) * QUEUE_LIMIT,
            brief=True,
        )
        more, rows = len(rows) > QUEUE_LIMIT, rows[:QUEUE_LIMIT]
        edits = own_evidence([row.result.get("edits") or [] for row in rows], who.principal, home)
        shown = [
            (row, marked(row.result["template"]["body"], cited))
            for row, cited in zip(rows, edits, strict=True)
        ]
        filters = {
            "status": status,
            "segment": segment,
            "channel": channel,
            "mode": mode,
            "flagged": flagged,
        }
        return page(
            request,
            "queue.html",
            who,
            rows=shown,
            filters=filters,
            page_number=page_number,
            more=more,
            query=urlencode(filters),
        )

    @routes.post("/queue/decide")
    async def decide_many(request: Request, who: Signed) -> Response:
        form = await request.form()
        who.check(str(form.get("csrf") or ""))
        who.need("editor")
        decision = str(form.get("decision") or "")
        if decision not in {"approve", "reject"}:
            raise HTTPException(422, "decision: approve or reject")
        # Every draft asked for must be the key's before any is decided.
        chosen = [owned_review(who, str(thread_id)) for thread_id in form.getlist("thread_id")]
        for row in chosen:
            if row.status != "pending":
                continue
            with suppress(LookupError):  # decided meanwhile, by someone else
                reviews.decide(
                    row.thread_id,
                    decision,  # type: ignore[arg-type]
                    context=settings,
                    reason=str(form.get("reason") or "") or None,
                    by=who.principal.key_id,
                )
        return RedirectResponse("/queue", status_code=303)

    @routes.get("/queue/approved.csv")
    def export(who: Signed) -> Response:
        rows = access_for(home).reviews(who.principal.merchants, status="approved", limit=100_000)
        return Response(
            _approved_csv(rows),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="approved.csv"'},
        )

    # -- data -------------------------------------------------------------------------------

    @routes.get("/data")
    def data(request: Request, who: Signed) -> HTMLResponse:
        return page(request, "data.html", who, **_data_values(who, home, None, []))

    @routes.post("/data/import")
    async def import_file(
        request: Request,
        who: Signed,
        file: UploadFile,
        csrf: Annotated[str, Form()] = "",
    ) -> HTMLResponse:
        who.check(csrf)
        who.need("editor")
        name = Path(file.filename or "upload.csv").name
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(await file.read())
            problems, done = _import(path, who, home)
        values = _data_values(who, home, done, problems)
        return page(request, "data.html", who, status=422 if problems else 200, **values)

    @routes.post("/data/profile")
    async def profile(request: Request, who: Signed) -> HTMLResponse:
        form = {k: str(v) for k, v in (await request.form()).items()}
        who.check(form.get("csrf"))
        who.need("editor")
        merchant_id = form.get("merchant_id", "")
        if not who.principal.allows(merchant_id):
            raise HTTPException(404, "no such merchant")
        store = store_for(home)
        current = store.merchant(merchant_id)
        words = (w.strip() for w in form.get("forbidden_words", "").split(","))
        changes = {
            "merchant_id": merchant_id,
            "name": form.get("name") or (current.name if current else merchant_id),
            "brand_voice": form.get("brand_voice") or "friendly",
            "forbidden_words": tuple(dict.fromkeys(w for w in words if w)),
            "max_discount": form.get("max_discount") or None,
        }
        base = current.model_dump() if current else {}
        try:
            updated = Merchant.model_validate({**base, **changes})
        except ValidationError as exc:
            problems = validation_problems(exc, f"profile {merchant_id}").splitlines()
            values = _data_values(who, home, None, problems)
            return page(request, "data.html", who, status=422, **values)
        with store.transaction():
            store.put_merchants([updated])
        values = _data_values(who, home, f"Profile of {merchant_id} saved.", [])
        return page(request, "data.html", who, **values)

    add_experiment_pages(routes, home, page, Signed)
    return routes


def _local(path: str) -> str:
    """A path on this site to go to after signing in; anything else goes to Write (a
    sign-in link must not send the marketer to another site)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/write"
    return path


def _signed_in(request: Request, secret: str, next_path: str) -> Response:
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",  # behind TLS, never sent in the clear
        path="/",
        max_age=12 * 3600,
    )
    return response


def sign_in_redirect(_: Request, exc: SignInNeeded) -> Response:
    """Where a page without a session sends the browser."""
    return RedirectResponse(exc.location, status_code=303)


_TITLES = {403: "Not allowed", 404: "Not found", 409: "Already decided", 422: "Not understood"}
_ERRORS = Jinja2Templates(directory=HERE / "templates")


def error_page(request: Request, exc: HTTPException) -> Response:
    """A page's refusal as a page (the API's stay JSON)."""
    values = {
        "who": None,
        "csrf": "",
        "status": exc.status_code,
        "title": _TITLES.get(exc.status_code, "Something went wrong"),
        "detail": exc.detail,
    }
    return _ERRORS.TemplateResponse(request, "error.html", values, status_code=exc.status_code)


# -- what the pages show ---------------------------------------------------------------------


def _write_values(
    merchants: list[str], form: dict[str, str], problems: list[str]
) -> dict[str, Any]:
    return {
        "merchants": merchants,
        "form": form,
        "problems": problems,
        "channels": [c.value for c in Channel],
        "purposes": [p.value for p in Purpose],
        "voucher_types": [v.value for v in VoucherType],
    }


def _request_of(form: dict[str, str]) -> dict[str, Any]:
    """A campaign request from the write form's fields (blank fields left out)."""
    scope = form.get("scope", "category")
    request: dict[str, Any] = {
        "merchant_id": form.get("merchant_id", ""),
        "segment": form.get("segment", ""),
        "channel": form.get("channel", ""),
        "product_category": form.get("product_category", "")
        if scope != "store"
        else (form.get("product_category", "").split(">")[0] or "store"),
    }
    if form.get("variants", "1") not in ("", "1"):
        request["variants"] = form["variants"]
    if scope == "product" and form.get("product_name"):
        request["product_name"] = form["product_name"]
    for field in ("purpose", "original_template", "original_subject", "original_preheader"):
        if form.get(field, "").strip():
            request[field] = form[field]
    if form.get("voucher_type"):
        voucher: dict[str, Any] = {"type": form["voucher_type"]}
        for field in ("value", "min_spend", "code", "expires"):
            if form.get(f"voucher_{field}", "").strip():
                voucher[field] = form[f"voucher_{field}"].strip()
        request["voucher"] = voucher
    return request


def _edited(row: ReviewRow, form: dict[str, str]) -> bool:
    template = row.result["template"]
    body = (form.get("body") or "").replace("\r\n", "\n")
    subject = form.get("subject") or None
    return body.strip() != template["body"].strip() or (
        subject is not None and subject != (template.get("subject") or None)
    )


def _result_values(row: ReviewRow, who: Viewer, home: Path) -> dict[str, Any]:
    result = visible(GenerationResult.model_validate(row.result), who.principal, home)
    shown = result.model_dump(mode="json")
    request = CampaignRequest.model_validate(row.request)
    merchant = store_for(home).merchant(row.merchant_id) or Merchant(
        merchant_id=row.merchant_id, name=row.merchant_id
    )
    sender = sender_of(merchant, request)
    original = {
        "subject": request.original_subject,
        "preheader": request.original_preheader,
        "body": request.original_template or "",
    }
    return {
        "row": row,
        "result": shown,
        "campaign": row.request,
        "pieces": marked(shown["template"]["body"], shown["edits"]),
        "removed": removals(shown["edits"]),
        "current": preview(row.channel, original, sender) if request.original_template else None,
        "new": preview(row.channel, shown["template"], sender),
        "variants": [
            {**v, "preview": preview(row.channel, v["template"], sender)}
            for v in shown.get("variants", [])
        ],
        "can_decide": row.status == "pending" and who.principal.can("editor"),
        "another_left": not durable_graph(home)
        .get_state({"configurable": {"thread_id": row.thread_id}})
        .values.get("rejections", 0),
    }


def _approved_csv(rows: list[ReviewRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "thread_id",
            "merchant_id",
            "segment",
            "channel",
            "subject",
            "preheader",
            "body",
            "mode",
            "approved_at",
            "approved_by",
        ]
    )
    for row in rows:
        template = row.result["template"]
        writer.writerow(
            spreadsheet_safe(cell)
            for cell in [
                row.thread_id,
                row.merchant_id,
                row.segment,
                row.channel,
                template.get("subject") or "",
                template.get("preheader") or "",
                template["body"],
                row.mode,
                row.decided_at or "",
                row.decided_by or "",
            ]
        )
    return out.getvalue()


def _import(path: Path, who: Viewer, home: Path) -> tuple[list[Problem], str | None]:
    """Validate a file and import it whole, or nothing: every row's merchant must be the
    key's, and no row may rewrite another merchant's template."""
    try:
        records = validate_file(path)
    except IngestError as exc:
        return exc.problems, None
    problems = [
        Problem(path.name, number, "merchant_id", f"this key may not import for {r.merchant_id}")
        for number, r in _numbered(records)
        if not who.principal.allows(r.merchant_id)
    ]
    if not problems and who.principal.merchants is not None:
        ids = [r.template_id for r in records]
        existing = store_for(home).existing_template_ids(ids)
        mine = access_for(home).owned(existing, who.principal.merchants)
        problems = [
            Problem(
                path.name,
                number,
                "template_id",
                f"{r.template_id} belongs to another "
                "merchant: give the row a template_id of your own",
            )
            for number, r in _numbered(records)
            if r.template_id in existing - mine
        ]
    if problems:
        return problems, None
    store = store_for(home)
    with store.transaction():
        store.put_templates(records)
    merchants = sorted({r.merchant_id for r in records})
    return [], f"Imported {len(records):,} templates of {', '.join(merchants)}."


def _numbered(records: list[Any]) -> Iterator[tuple[int, Any]]:
    # Data rows start on line 2, after the header; rows are kept in file order.
    return enumerate(records, start=2)


def _data_values(who: Viewer, home: Path, done: str | None, problems: list[Any]) -> dict[str, Any]:
    store = store_for(home)
    names = access_for(home).merchants()
    scope = (
        sorted(who.principal.merchants) if who.principal.merchants is not None else sorted(names)
    )
    profiles = [store.merchant(m) or Merchant(merchant_id=m, name=names.get(m, m)) for m in scope]
    return {
        "profiles": [json.loads(p.model_dump_json()) for p in profiles],
        "done": done,
        "problems": problems,
        "today": date.today().isoformat(),
    }
