"""Experiments over HTTP, at ``/experiments``: list the key's, create one, read where it
stands, the next split, record results, stop, ship. A key sees only its merchants'
experiments (another's answers 404, as if there were none); a viewer reads, an editor also
creates, records and decides. The routes call ``crmagent.experiments``, as the CLI does."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from crmagent import experiments
from crmagent.tenants import Principal
from tools.bandits import CONTROL_FLOOR
from tools.crm import Experiment, experiments_for


class Message(BaseModel):
    """An arm's text."""

    subject: str | None = Field(default=None, description="E-mail subject or push title.")
    body: str = Field(description="The message.")


class NewExperiment(BaseModel):
    """An experiment to start: the campaign, the control and its variants."""

    merchant_id: str
    segment: str
    channel: Literal["im", "sms", "push", "email"]
    control: Message = Field(description="The message the merchant sends now.")
    variants: list[Message] = Field(min_length=1, description="The messages tried against it.")


class Results(BaseModel):
    """Results recorded by hand for an arm whose template id was not imported."""

    arm: str = Field(description="control, variant-1, ... (or 0, 1, ..., or its template id).")
    sends: int = Field(ge=0)
    conversions: int = Field(ge=0)
    revenue: float | None = Field(default=None, ge=0)
    unsubscribes: int | None = Field(default=None, ge=0)


class Stop(BaseModel):
    """Why an experiment stops."""

    reason: str = Field(min_length=1)


class Ship(BaseModel):
    """The arm to ship, and why."""

    arm: str
    reason: str | None = None


def experiment_routes(home: Path) -> APIRouter:
    """The ``/experiments`` router for the store under ``home``."""
    routes = APIRouter(prefix="/experiments", tags=["experiments"])

    def owned(request: Request, experiment_id: int) -> Experiment:
        found = experiments_for(home).find(experiment_id)
        if found is None or not request.state.principal.allows(found.merchant_id):
            raise HTTPException(404, f"no experiment {experiment_id}")
        return found

    def editor(request: Request) -> Principal:
        who: Principal = request.state.principal
        if not who.can("editor"):
            raise HTTPException(403, f"this key is a {who.role}; editors change experiments")
        return who

    def invalid(error: Exception) -> HTTPException:
        message = str(error.args[0]) if isinstance(error, LookupError) else str(error)
        return HTTPException(409 if "already" in message else 422, message)

    @routes.get("")
    def listed(request: Request) -> list[dict[str, Any]]:
        who: Principal = request.state.principal
        return [experiments.summary(e) for e in experiments.list_experiments(home, who.merchants)]

    @routes.post("")
    def create(request: Request, body: NewExperiment) -> dict[str, Any]:
        who = editor(request)
        if not who.allows(body.merchant_id):
            raise HTTPException(
                403,
                f"this key may not act for merchant {body.merchant_id}; its merchants: "
                f"{', '.join(sorted(who.merchants or ()))}",
            )
        try:
            made = experiments.create(
                home,
                body.merchant_id,
                body.segment,
                body.channel,
                (body.control.subject, body.control.body),
                [(v.subject, v.body) for v in body.variants],
            )
        except ValueError as error:
            raise invalid(error) from error
        return experiments.summary(made)

    @routes.get("/{experiment_id}")
    def status(
        request: Request,
        experiment_id: int,
        objective: Literal["conversion", "revenue"] = "conversion",
        seed: int = 0,
    ) -> dict[str, Any]:
        owned(request, experiment_id)
        try:
            return experiments.status(home, experiment_id, objective=objective, seed=seed)
        except ValueError as error:
            raise invalid(error) from error

    @routes.get("/{experiment_id}/next")
    def next_split(
        request: Request,
        experiment_id: int,
        sends: int,
        seed: int = 0,
        floor: float = CONTROL_FLOOR,
        objective: Literal["conversion", "revenue"] = "conversion",
    ) -> dict[str, Any]:
        owned(request, experiment_id)
        try:
            return experiments.next_split(
                home, experiment_id, sends, seed=seed, floor=floor, objective=objective
            )
        except ValueError as error:
            raise invalid(error) from error

    @routes.post("/{experiment_id}/results")
    def record(request: Request, experiment_id: int, body: Results) -> dict[str, Any]:
        owned(request, experiment_id)
        editor(request)
        try:
            experiments.record(
                home,
                experiment_id,
                body.arm,
                body.sends,
                body.conversions,
                body.revenue,
                body.unsubscribes,
            )
            return experiments.status(home, experiment_id)
        except (ValueError, LookupError) as error:
            raise invalid(error) from error

    @routes.post("/{experiment_id}/stop")
    def stop(request: Request, experiment_id: int, body: Stop) -> dict[str, Any]:
        owned(request, experiment_id)
        editor(request)
        try:
            return experiments.summary(experiments.stop(home, experiment_id, body.reason))
        except ValueError as error:
            raise invalid(error) from error

    @routes.post("/{experiment_id}/ship")
    def ship(request: Request, experiment_id: int, body: Ship) -> dict[str, Any]:
        owned(request, experiment_id)
        editor(request)
        try:
            done = experiments.ship(home, experiment_id, body.arm, body.reason)
        except (ValueError, LookupError) as error:
            raise invalid(error) from error
        return experiments.summary(done)

    return routes
