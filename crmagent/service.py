"""The HTTP endpoint: a FastAPI app with LangServe routes for CRMAgent at ``/crmagent``
(``/invoke``, ``/batch``, ``/stream``, ``/playground``), ``/healthz``, API keys and a body
size limit.

LangServe is in maintenance mode upstream; the maintained path is the LangGraph server
(``langgraph dev`` / Agent Server, via ``langgraph.json``). Both serve the same graph.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from langchain_core.runnables import RunnableLambda
from langserve import add_routes

from crmagent.api import generate
from graph.context import Context
from tools.domain import CampaignRequest, GenerationResult

MAX_BODY_BYTES = 256 * 1024
"""A batch of a few hundred requests fits; a pasted catalogue does not."""
OPEN_PATHS = frozenset({"/healthz"})


def api_keys() -> list[str]:
    """Keys from ``CRMAGENT_API_KEYS`` (comma-separated); none means no authentication."""
    return [k.strip() for k in os.environ.get("CRMAGENT_API_KEYS", "").split(",") if k.strip()]


def _presented(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


def _valid(key: str | None, keys: list[str]) -> bool:
    if key is None:
        return False
    # Compare with every key in constant time, so timing tells nothing about a near miss.
    matches = [hmac.compare_digest(key.encode(), k.encode()) for k in keys]
    return any(matches)


def create_app(context: Context | None = None) -> FastAPI:
    """The service; ``context`` holds the run settings (default: from the environment)."""
    settings = context or Context()
    app = FastAPI(
        title="CRMAgent",
        version="0.1.0",
        description="High-conversion CRM message templates, explained step by step.",
    )
    keys = api_keys()

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return JSONResponse(
                {
                    "detail": f"request body is {int(length):,} bytes; at most "
                    f"{MAX_BODY_BYTES:,} (send large batches with `crmagent batch`)"
                },
                status_code=413,
            )
        if keys and request.url.path not in OPEN_PATHS and not _valid(_presented(request), keys):
            return JSONResponse(
                {
                    "detail": "missing or invalid API key: send 'Authorization: Bearer KEY' or "
                    "'X-API-Key: KEY'"
                },
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        return await call_next(request)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "model": settings.model}

    def run(request: CampaignRequest) -> GenerationResult:
        return generate(request, context=settings)

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
    )
    return app


def serve(host: str, port: int, context: Context | None = None) -> None:
    """Run the service with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(context), host=host, port=port, log_level="info")
