"""Experiments between messages, kept in the CRM store's database beside the templates their
arms become: an experiment names a merchant, segment and channel, holds its
arms (the control and the variants, each a text and the template id it is sent and imported
under) and its state (running, stopped, shipped, with the reason).

An arm's results are the store's template row of its template id, once imported (the CRM's
cumulative count, which is also the history the next generation learns from); until then,
the sum of what was recorded by hand for it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import func, insert, select, update

from tools.crm.resources import store_url
from tools.crm.store import Database
from tools.crm.store.records import ARM_PREFIX
from tools.crm.store.tables import (
    arm_readings,
    experiment_arms,
    experiment_records,
    experiments,
    templates,
)

Status = Literal["running", "stopped", "shipped"]
Source = Literal["import", "record", "none"]
TEMPLATE_PREFIX = ARM_PREFIX
"""Arms' template ids start so (``exp-12-a0`` is experiment 12's control): an experiment's
template in the history can be told by its id."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def arm_name(index: int) -> str:
    """Arm 0 is the control, arm k the k-th variant."""
    return "control" if index == 0 else f"variant-{index}"


def template_id_for(experiment_id: int, index: int) -> str:
    """The template id an arm is sent and imported under."""
    return f"{TEMPLATE_PREFIX}{experiment_id}-a{index}"


@dataclass(frozen=True)
class ExperimentArm:
    """One message of an experiment."""

    index: int
    name: str
    subject: str | None
    body: str
    template_id: str


@dataclass(frozen=True)
class ArmResults:
    """What an arm did so far, and where the figures come from."""

    sends: int
    conversions: int
    revenue: float | None
    unsubscribes: int | None
    source: Source
    """``import``: its template row; ``record``: the hand-recorded results; ``none``."""


@dataclass(frozen=True)
class Experiment:
    """An experiment: its campaign, its arms and where it stands."""

    experiment_id: int
    merchant_id: str
    segment: str
    channel: str
    created_at: str
    status: Status
    reason: str | None
    shipped_arm: int | None
    decided_at: str | None
    arms: tuple[ExperimentArm, ...]

    def arm(self, ref: str | int) -> ExperimentArm:
        """An arm by its name (``control``, ``variant-1`` or ``variant 1``), its number
        (0 is the control) or its template id."""
        text = re.sub(r"\s+", "-", str(ref).strip().lower())
        for arm in self.arms:
            if text in {arm.name, str(arm.index), arm.template_id.lower()}:
                return arm
        raise LookupError(
            f"experiment {self.experiment_id} has no arm {ref!r}; its arms: "
            + ", ".join(f"{a.name} ({a.template_id})" for a in self.arms)
        )


class Experiments(Database):
    """The experiments of one CRM store."""

    def create(
        self,
        merchant_id: str,
        segment: str,
        channel: str,
        texts: Sequence[tuple[str | None, str]],
    ) -> Experiment:
        """A running experiment of these ``(subject, body)`` texts, the first the control."""
        if len(texts) < 2:
            raise ValueError("an experiment needs a control and at least one variant")
        for number, (_, body) in enumerate(texts):
            if not body.strip():
                raise ValueError(f"{arm_name(number)}: the text is empty")
        with self.transaction():
            experiment_id = int(
                self._conn.execute(
                    insert(experiments).returning(experiments.c.experiment_id),
                    {
                        "merchant_id": merchant_id,
                        "segment": segment,
                        "channel": channel,
                        "created_at": _now(),
                        "status": "running",
                    },
                ).scalar_one()
            )
            self._run(
                insert(experiment_arms),
                [
                    {
                        "experiment_id": experiment_id,
                        "arm": i,
                        "name": arm_name(i),
                        "subject": subject,
                        "body": body,
                        "template_id": template_id_for(experiment_id, i),
                    }
                    for i, (subject, body) in enumerate(texts)
                ],
            )
        return self.get(experiment_id)

    def find(self, experiment_id: int) -> Experiment | None:
        """An experiment by id, or None."""
        row = self._first(select(experiments).where(experiments.c.experiment_id == experiment_id))
        if row is None:
            return None
        arms = tuple(
            ExperimentArm(int(a[0]), a[1], a[2], a[3], a[4])
            for a in self._rows(
                select(
                    experiment_arms.c.arm,
                    experiment_arms.c.name,
                    experiment_arms.c.subject,
                    experiment_arms.c.body,
                    experiment_arms.c.template_id,
                )
                .where(experiment_arms.c.experiment_id == experiment_id)
                .order_by(experiment_arms.c.arm)
            )
        )
        merchant, segment, channel, created, status, reason, shipped, decided = row[1:]
        return Experiment(
            int(row[0]), merchant, segment, channel, created, status, reason, shipped, decided, arms
        )

    def get(self, experiment_id: int) -> Experiment:
        """An experiment by id; ``LookupError`` naming it when there is none."""
        found = self.find(experiment_id)
        if found is None:
            raise LookupError(f"no experiment {experiment_id}: see `crmagent experiment list`")
        return found

    def all(self, merchants: Iterable[str] | None = None) -> list[Experiment]:
        """The experiments, newest first: only these merchants' (None: every merchant's)."""
        query = select(experiments.c.experiment_id).order_by(experiments.c.experiment_id.desc())
        if merchants is not None:
            query = query.where(experiments.c.merchant_id.in_(sorted(merchants)))
        return [self.get(int(row[0])) for row in self._rows(query)]

    def results(self, experiment: Experiment) -> list[ArmResults]:
        """Each arm's results: its imported template row, else its hand-recorded sums."""
        ids = [arm.template_id for arm in experiment.arms]
        imported = {
            str(row[0]): row[1:]
            for row in self._rows(
                select(
                    templates.c.template_id,
                    templates.c.sends,
                    templates.c.conversions,
                    templates.c.revenue,
                    templates.c.unsubscribes,
                ).where(templates.c.template_id.in_(ids))
            )
        }
        records = experiment_records.c
        recorded = {
            int(row[0]): row[1:]
            for row in self._rows(
                select(
                    records.arm,
                    func.sum(records.sends),
                    func.sum(records.conversions),
                    func.sum(records.revenue),
                    func.sum(records.unsubscribes),
                )
                .where(records.experiment_id == experiment.experiment_id)
                .group_by(records.arm)
            )
        }
        results = []
        for arm in experiment.arms:
            if arm.template_id in imported:
                sends, conversions, revenue, unsubscribed = imported[arm.template_id]
                results.append(ArmResults(sends, conversions, revenue, unsubscribed, "import"))
            elif arm.index in recorded:
                sends, conversions, revenue, unsubscribed = recorded[arm.index]
                results.append(
                    ArmResults(int(sends), int(conversions), revenue, unsubscribed, "record")
                )
            else:
                results.append(ArmResults(0, 0, None, None, "none"))
        return results

    def history(self, experiment: Experiment) -> list[tuple[str, list[int]]]:
        """The experiment over time: after each import or record that changed it, when, and
        each arm's conversions so far (an imported arm's totals as that import left them, a
        recorded arm's records summed)."""
        arm_of = {arm.template_id: arm.index for arm in experiment.arms}
        events: list[tuple[str, int, int, bool]] = [
            (str(at), arm_of[str(tid)], int(conversions), True)
            for tid, conversions, at in self._rows(
                select(
                    arm_readings.c.template_id, arm_readings.c.conversions, arm_readings.c.read_at
                ).where(arm_readings.c.template_id.in_(list(arm_of)))
            )
        ]
        records = experiment_records.c
        events += [
            (str(at), int(arm), int(conversions), False)
            for arm, conversions, at in self._rows(
                select(records.arm, records.conversions, records.recorded_at).where(
                    records.experiment_id == experiment.experiment_id
                )
            )
        ]
        totals = [0] * len(experiment.arms)
        points: list[tuple[str, list[int]]] = []
        for at, arm, conversions, absolute in sorted(events):
            totals[arm] = conversions if absolute else totals[arm] + conversions
            if points and points[-1][0] == at:
                points[-1] = (at, list(totals))
            elif not points or points[-1][1] != totals:
                points.append((at, list(totals)))
        return points

    def record(
        self,
        experiment: Experiment,
        arm: ExperimentArm,
        sends: int,
        conversions: int,
        revenue: float | None = None,
        unsubscribes: int | None = None,
    ) -> None:
        """Add results by hand to an arm whose template id was not imported."""
        where = f"{arm.name} ({arm.template_id})"
        if sends < 0 or conversions < 0:
            raise ValueError(f"{where}: sends and conversions cannot be negative")
        if conversions > sends:
            raise ValueError(f"{where}: conversions ({conversions}) > sends ({sends})")
        if unsubscribes is not None and not 0 <= unsubscribes <= sends:
            raise ValueError(f"{where}: unsubscribes ({unsubscribes}) must be 0 to sends")
        if revenue is not None and revenue < 0:
            raise ValueError(f"{where}: revenue ({revenue}) cannot be negative")
        if self.results(experiment)[arm.index].source == "import":
            raise ValueError(
                f"{where} was imported: its results are the store's row for that template "
                "id; import the new totals (`crmagent ingest`) instead of recording them"
            )
        self._run(
            insert(experiment_records),
            {
                "experiment_id": experiment.experiment_id,
                "arm": arm.index,
                "sends": sends,
                "conversions": conversions,
                "revenue": revenue,
                "unsubscribes": unsubscribes,
                "recorded_at": datetime.now(UTC).isoformat(timespec="microseconds"),
            },
        )

    def decide(
        self, experiment: Experiment, status: Status, reason: str, arm: ExperimentArm | None = None
    ) -> Experiment:
        """End a running experiment: ``stopped`` (with the reason) or ``shipped`` (an arm)."""
        if experiment.status != "running":
            raise ValueError(
                f"experiment {experiment.experiment_id} is already {experiment.status}"
                + (f" ({experiment.reason})" if experiment.reason else "")
            )
        if not reason.strip():
            raise ValueError("say why: pass --reason")
        self._run(
            update(experiments)
            .where(experiments.c.experiment_id == experiment.experiment_id)
            .values(
                status=status,
                reason=reason.strip(),
                shipped_arm=None if arm is None else arm.index,
                decided_at=_now(),
            )
        )
        return self.get(experiment.experiment_id)


_OPEN: dict[str, Experiments] = {}
_OPENING = threading.Lock()


def experiments_for(home: str | Path) -> Experiments:
    """The experiments of the store of ``home`` (one connection a store, shared by
    threads)."""
    url = store_url(Path(home).resolve())
    with _OPENING:
        if url not in _OPEN:
            _OPEN[url] = Experiments(url)
        return _OPEN[url]
