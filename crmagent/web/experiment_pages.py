"""The web app's Experiments page: each arm's sends, conversions, rate with its credible
interval, probability to be best and expected loss; the proposed split of the next sends;
stop or ship with a reason; a chart of the conversions each arm has had so far. The
figures are ``crmagent.experiments``' own (the same as ``crmagent experiment status``)."""

# No ``from __future__ import annotations``: FastAPI reads the routes' parameter types
# when they are defined (see pages.py).
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crmagent import experiments
from crmagent.web.session import Viewer
from tools.crm import experiments_for

Page = Callable[..., HTMLResponse]


def add_experiment_pages(routes: APIRouter, home: Path, page: Page, signed: Any) -> None:
    """Add the Experiments pages to ``routes`` (``signed``: the signed-in viewer's
    dependency, ``page``: the page renderer)."""

    def owned(who: Viewer, experiment_id: int) -> None:
        found = experiments_for(home).find(experiment_id)
        if found is None or not who.principal.allows(found.merchant_id):
            raise HTTPException(404, "no such experiment")

    @routes.get("/tests")
    def experiment_list(request: Request, who: signed) -> HTMLResponse:
        listed = experiments.list_experiments(home, who.principal.merchants)
        return page(request, "experiments.html", who, experiments=listed)

    @routes.get("/tests/{experiment_id}")
    def experiment_page(
        request: Request,
        who: signed,
        experiment_id: int,
        sends: int = Query(10_000, ge=1, le=100_000_000),
    ) -> HTMLResponse:
        owned(who, experiment_id)
        status = experiments.status(home, experiment_id)
        split = (
            experiments.next_split(home, experiment_id, sends)
            if status["status"] == "running"
            else None
        )
        return page(
            request,
            "experiment.html",
            who,
            experiment=status,
            split=split,
            sends=sends,
            chart=_chart(status["arms"]),
            lines=_lines(status),
        )

    @routes.post("/tests/{experiment_id}/decide")
    async def decide(request: Request, who: signed, experiment_id: int) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        who.check(form.get("csrf"))
        who.need("editor")
        owned(who, experiment_id)
        reason = form.get("reason", "").strip()
        try:
            if form.get("decision") == "ship":
                experiments.ship(home, experiment_id, form.get("arm", ""), reason or None)
            elif form.get("decision") == "stop":
                experiments.stop(home, experiment_id, reason or "stopped from the web app")
            else:
                raise HTTPException(422, "decision: ship an arm, or stop")
        except (ValueError, LookupError) as error:
            raise HTTPException(409, str(error)) from error
        return RedirectResponse(f"/tests/{experiment_id}", status_code=303)


def _chart(arms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Bars of each arm's conversions so far, scaled to the largest (an SVG's widths)."""
    top = max((int(arm["conversions"]) for arm in arms), default=0) or 1
    return [
        {
            "name": arm["name"],
            "conversions": arm["conversions"],
            "width": 300 * arm["conversions"] / top,
        }
        for arm in arms
    ]


LINE_COLOURS = ("#777777", "#2457c5", "#c55a24", "#2a8a3e", "#8a2a7a", "#b08a00")
"""The control in grey, then a colour per variant."""


def _lines(status: dict[str, Any]) -> dict[str, Any] | None:
    """Each arm's cumulative conversions after each import or record, as the polylines of a
    440 x 160 SVG (None before a second reading)."""
    history = status["history"]
    if len(history) < 2:
        return None
    top = max(max(point["conversions"]) for point in history) or 1
    step = 400 / (len(history) - 1)
    return {
        "top": top,
        "readings": len(history),
        "arms": [
            {
                "name": arm["name"],
                "colour": LINE_COLOURS[i % len(LINE_COLOURS)],
                "points": " ".join(
                    f"{30 + step * n:.1f},{150 - 140 * point['conversions'][i] / top:.1f}"
                    for n, point in enumerate(history)
                ),
            }
            for i, arm in enumerate(status["arms"])
        ],
    }
