"""Experiments between messages, kept in the CRM store's file (``crm.sqlite``) beside the
templates their arms become: an experiment names a merchant, segment and channel, holds its
arms (the control and the variants, each a text and the template id it is sent and imported
under) and its state (running, stopped, shipped, with the reason).

An arm's results are the store's template row of its template id, once imported (the CRM's
cumulative count, which is also the history the next generation learns from); until then,
the sum of what was recorded by hand for it.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from tools.crm.store import Store

Status = Literal["running", "stopped", "shipped"]
Source = Literal["import", "record", "none"]
TEMPLATE_PREFIX = "exp-"
"""Arms' template ids start so (``exp-12-a0`` is experiment 12's control): an experiment's
template in the history can be told by its id."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS experiments (
    experiment_id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id TEXT NOT NULL,
    segment TEXT NOT NULL,
    channel TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'stopped', 'shipped')),
    reason TEXT,
    shipped_arm INTEGER,
    decided_at TEXT
);
CREATE INDEX IF NOT EXISTS experiments_by_merchant ON experiments (merchant_id, status);
CREATE TABLE IF NOT EXISTS experiment_arms (
    experiment_id INTEGER NOT NULL REFERENCES experiments(experiment_id),
    arm INTEGER NOT NULL,
    name TEXT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    template_id TEXT NOT NULL UNIQUE,
    PRIMARY KEY (experiment_id, arm)
);
CREATE TABLE IF NOT EXISTS experiment_records (
    experiment_id INTEGER NOT NULL,
    arm INTEGER NOT NULL,
    sends INTEGER NOT NULL CHECK (sends >= 0),
    conversions INTEGER NOT NULL CHECK (conversions >= 0 AND conversions <= sends),
    revenue REAL CHECK (revenue IS NULL OR revenue >= 0),
    unsubscribes INTEGER CHECK (unsubscribes IS NULL OR unsubscribes >= 0),
    recorded_at TEXT NOT NULL,
    FOREIGN KEY (experiment_id, arm) REFERENCES experiment_arms (experiment_id, arm)
);
"""


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


class Experiments:
    """The experiments of one CRM store file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        Store(self.path).close()  # the CRM's tables (and their migrations) come first
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._lock = threading.Lock()
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

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
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._conn.execute(
                    "INSERT INTO experiments (merchant_id, segment, channel, created_at, status) "
                    "VALUES (?, ?, ?, ?, 'running')",
                    (merchant_id, segment, channel, _now()),
                )
                experiment_id = int(cursor.lastrowid or 0)
                self._conn.executemany(
                    "INSERT INTO experiment_arms VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (
                            experiment_id,
                            i,
                            arm_name(i),
                            subject,
                            body,
                            template_id_for(experiment_id, i),
                        )
                        for i, (subject, body) in enumerate(texts)
                    ],
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        return self.get(experiment_id)

    def find(self, experiment_id: int) -> Experiment | None:
        """An experiment by id, or None."""
        row = self._conn.execute(
            "SELECT experiment_id, merchant_id, segment, channel, created_at, status, reason, "
            "shipped_arm, decided_at FROM experiments WHERE experiment_id = ?",
            (experiment_id,),
        ).fetchone()
        if row is None:
            return None
        arms = tuple(
            ExperimentArm(int(a[0]), a[1], a[2], a[3], a[4])
            for a in self._conn.execute(
                "SELECT arm, name, subject, body, template_id FROM experiment_arms "
                "WHERE experiment_id = ? ORDER BY arm",
                (experiment_id,),
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
        sql, args = "SELECT experiment_id FROM experiments", []
        if merchants is not None:
            scope = sorted(merchants)
            sql += f" WHERE merchant_id IN ({', '.join('?' * len(scope))})"
            args = scope
        rows = self._conn.execute(sql + " ORDER BY experiment_id DESC", args).fetchall()
        return [self.get(int(row[0])) for row in rows]

    def results(self, experiment: Experiment) -> list[ArmResults]:
        """Each arm's results: its imported template row, else its hand-recorded sums."""
        ids = [arm.template_id for arm in experiment.arms]
        imported = {
            str(row[0]): row[1:]
            for row in self._conn.execute(
                "SELECT template_id, sends, conversions, revenue, unsubscribes FROM templates "
                f"WHERE template_id IN ({', '.join('?' * len(ids))})",
                ids,
            )
        }
        recorded = {
            int(row[0]): row[1:]
            for row in self._conn.execute(
                "SELECT arm, SUM(sends), SUM(conversions), SUM(revenue), SUM(unsubscribes), "
                "COUNT(*) FROM experiment_records WHERE experiment_id = ? GROUP BY arm",
                (experiment.experiment_id,),
            )
        }
        results = []
        for arm in experiment.arms:
            if arm.template_id in imported:
                sends, conversions, revenue, unsubscribed = imported[arm.template_id]
                results.append(ArmResults(sends, conversions, revenue, unsubscribed, "import"))
            elif arm.index in recorded:
                sends, conversions, revenue, unsubscribed, _ = recorded[arm.index]
                results.append(
                    ArmResults(int(sends), int(conversions), revenue, unsubscribed, "record")
                )
            else:
                results.append(ArmResults(0, 0, None, None, "none"))
        return results

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
        with self._lock:
            self._conn.execute(
                "INSERT INTO experiment_records VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    experiment.experiment_id,
                    arm.index,
                    sends,
                    conversions,
                    revenue,
                    unsubscribes,
                    _now(),
                ),
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
        with self._lock:
            self._conn.execute(
                "UPDATE experiments SET status = ?, reason = ?, shipped_arm = ?, decided_at = ? "
                "WHERE experiment_id = ?",
                (
                    status,
                    reason.strip(),
                    None if arm is None else arm.index,
                    _now(),
                    experiment.experiment_id,
                ),
            )
        return self.get(experiment.experiment_id)


_OPEN: dict[Path, Experiments] = {}
_OPENING = threading.Lock()


def experiments_for(home: str | Path) -> Experiments:
    """The experiments of the store under ``home`` (one connection a file, shared by
    threads: its writes are serialised by a lock)."""
    path = (Path(home) / "crm.sqlite").resolve()
    with _OPENING:
        if path not in _OPEN:
            _OPEN[path] = Experiments(path)
        return _OPEN[path]
