"""The HTTP endpoint: a FastAPI app with LangServe routes for CRMAgent at ``/crmagent``
(``/invoke``, ``/batch``, ``/stream``, ``/playground``), the review queue at ``/reviews``,
the web app at ``/`` (``crmagent.web``), ``/healthz``, keys scoped to merchants and a body
size limit.

LangServe is in maintenance mode upstream; the maintained path is the LangGraph server
(``langgraph dev`` / Agent Server, via ``langgraph.json``). Both serve the same graph.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from langchain_core.runnables import RunnableConfig, RunnableLambda
from langserve import add_routes
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmagent import reviews, web
from crmagent.api import generate, make_context
from crmagent.experiments_api import experiment_routes
from crmagent.tenants import OPEN, Principal, principal_of, protected, visible
from crmagent.web.pages import error_page, sign_in_redirect
from crmagent.web.session import SignInNeeded
from graph.context import Context
from tools.crm import ReviewRow, access_for
from tools.domain import CampaignRequest, GenerationResult

MAX_BODY_BYTES = 256 * 1024
"""A batch of a few hundred requests fits; a pasted catalogue does not."""
API = ("/crmagent", "/reviews", "/experiments")
"""Paths that take a key in a header; the pages take the session cookie instead."""
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _presented(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


IMPORT_PATH, MAX_IMPORT_BYTES = "/data/import", 64 * 1024 * 1024
"""The web app's import takes a whole file of templates (a few hundred thousand rows)."""


def _limit(path: str) -> int:
    return MAX_IMPORT_BYTES if path == IMPORT_PATH else MAX_BODY_BYTES


def _too_large(size: int, limit: int) -> str:
    return (
        f"request body is {size:,} bytes or more; at most {limit:,} (send large batches "
        "with `crmagent batch`, large files with `crmagent ingest`)"
    )


def _cross_site(request: Request) -> bool:
    """Whether a browser says the request comes from another site (a forged form, sign-in
    included: the CSRF token covers a session's forms, this covers the one before it)."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc != request.url.netloc


class _TooLarge(Exception):
    """A body read past its limit."""


class BodyLimit:
    """ASGI middleware: a body may not pass its path's limit however it is sent (a chunked
    body has no length to check up front): reading past it answers 413."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, received, started = _limit(scope["path"]), 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _TooLarge
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, sending)
        except Exception as exc:  # raised in a route, or from a middleware's task group
            too_large = isinstance(exc, _TooLarge) or (
                isinstance(exc, ExceptionGroup) and exc.subgroup(_TooLarge) is not None
            )
            if not too_large or started:
                raise
            answer = JSONResponse({"detail": _too_large(received, limit)}, status_code=413)
            await answer(scope, receive, send)


def _inputs(path: str, body: Any) -> list[Any]:
    if not isinstance(body, dict):
        return []
    if path.endswith("/batch"):
        return list(body.get("inputs") or [])
    return [body.get("input", body)]


def create_app(context: Context | None = None) -> FastAPI:
    """The service; ``context`` holds the run settings (default: from the environment)."""
    settings = make_context(context)
    home = Path(settings.home).resolve()
    app = FastAPI(
        title="CRMAgent",
        version="0.1.0",
        description="High-conversion CRM message templates, explained step by step.",
    )

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        limit = _limit(request.url.path)
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return JSONResponse({"detail": _too_large(int(length), limit)}, status_code=413)
        page_post = request.method == "POST" and not request.url.path.startswith(API)
        if page_post and _cross_site(request):
            return JSONResponse(
                {"detail": "a form of this site posted from another site: refused"},
                status_code=403,
            )
        if request.url.path.startswith(API):
            who = principal_of(_presented(request), home)
            if who is None and protected(home):
                return JSONResponse(
                    {
                        "detail": "missing or invalid API key: send 'Authorization: Bearer KEY' "
                        "or 'X-API-Key: KEY'"
                    },
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
            request.state.principal = who or OPEN
            return await call_next(request)
        response = await call_next(request)
        if request.url.path != "/healthz":
            response.headers.update(PAGE_HEADERS)
        return response

    async def in_scope(request: Request) -> None:
        """Refuse (403), before any work, a request for a merchant outside the key's."""
        who: Principal = request.state.principal
        if who.merchants is None or request.method != "POST":
            return
        try:
            body = await request.json()
        except ValueError:
            return  # LangServe answers a body that is not JSON
        ids = [
            str(i.get("merchant_id"))
            for i in _inputs(request.url.path, body)
            if isinstance(i, dict)
        ]
        outside = who.outside(ids)
        if outside:
            raise HTTPException(
                403,
                f"this key may not act for merchant {', '.join(outside)}; "
                f"its merchants: {', '.join(sorted(who.merchants))}",
            )

    def principal_config(config: dict[str, Any], request: Request) -> dict[str, Any]:
        configurable = {**config.get("configurable", {}), "principal": request.state.principal}
        return {**config, "configurable": configurable}

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "model": settings.model}

    def run(request: CampaignRequest, config: RunnableConfig) -> GenerationResult:
        who = config.get("configurable", {}).get("principal", OPEN)
        return visible(generate(request, context=settings), who, home)

    runnable = RunnableLambda(run, name="CRMAgent").with_types(
        input_type=CampaignRequest, output_type=GenerationResult
    )
    add_routes(
        app,
        runnable,
        path="/crmagent",
        enabled_endpoints=[
            "invoke",
            "batch",
            "stream",
            "playground",
            "input_schema",
            "output_schema",
            "config_schema",
        ],
        dependencies=[Depends(in_scope)],
        per_req_config_modifier=principal_config,
    )
    app.include_router(review_routes(settings, home, in_scope))
    app.include_router(experiment_routes(home))
    app.include_router(web.router(settings))
    app.mount("/static", StaticFiles(directory=web.STATIC), name="static")
    app.add_exception_handler(SignInNeeded, sign_in_redirect)  # type: ignore[arg-type]
    app.add_middleware(BodyLimit)

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith(API) or request.url.path.startswith("/static"):
            return await http_exception_handler(request, exc)
        return error_page(request, HTTPException(exc.status_code, str(exc.detail)))

    return app


def review_routes(settings: Context, home: Path, in_scope: Any) -> APIRouter:
    """The review queue over HTTP: submit a request for approval, list the key's queue,
    read one, decide one (an editor's key)."""
    routes = APIRouter(prefix="/reviews", tags=["reviews"])

    def owned(request: Request, thread_id: str) -> ReviewRow:
        row = access_for(home).review(thread_id)
        if row is None or not request.state.principal.allows(row.merchant_id):
            raise HTTPException(404, f"no review {thread_id!r}")
        return row

    def shown(row: ReviewRow, who: Principal) -> dict[str, Any]:
        result = visible(GenerationResult.model_validate(row.result), who, home)
        return {
            "thread_id": row.thread_id,
            "status": row.status,
            "reason": row.reason,
            "result": result.model_dump(mode="json"),
        }

    @routes.post("", dependencies=[Depends(in_scope)])
    def submit(request: Request, campaign: CampaignRequest) -> dict[str, Any]:
        who = request.state.principal
        return shown(reviews.submit(campaign, settings, by=who.key_id), who)

    @routes.get("")
    def queue(request: Request, status: str = "pending") -> list[dict[str, Any]]:
        who = request.state.principal
        rows = access_for(home).reviews(who.merchants, status=status or None)
        return [shown(row, who) for row in rows]

    @routes.get("/{thread_id}")
    def one(request: Request, thread_id: str) -> dict[str, Any]:
        return shown(owned(request, thread_id), request.state.principal)

    @routes.post("/{thread_id}")
    def decide(request: Request, thread_id: str, decision: Decision) -> dict[str, Any]:
        who: Principal = request.state.principal
        if not who.can("editor"):
            raise HTTPException(403, f"this key is a {who.role}; editors decide reviews")
        row = owned(request, thread_id)
        try:
            done = reviews.decide(
                row.thread_id,
                decision.action,
                context=settings,
                body=decision.body,
                subject=decision.subject,
                reason=decision.reason,
                by=who.key_id,
            )
        except LookupError as exc:
            raise HTTPException(409, str(exc)) from exc
        return shown(done, who)

    return routes


class Decision(BaseModel):
    """A person's decision on a draft under review."""

    action: reviews.Decision
    body: str | None = None
    subject: str | None = None
    reason: str | None = None


def serve(host: str, port: int, context: Context | None = None) -> None:
    """Run the service with uvicorn until interrupted."""
    import gc

    import uvicorn

    app = create_app(context)
    # What starting up built (the graph, the libraries) lives as long as the process: out of
    # the collector's way, a full collection walks only what requests make.
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level="info")
