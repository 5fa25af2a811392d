"""Experiments in the store: arms become template ids, results come from their import (or
from what was recorded by hand until then), unsubscribes come in with the import, and an
older store file gains the column without losing a row."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from tools.crm import IMPORT_COLUMNS, IngestError, ingest_file
from tools.crm.experiments import Experiments
from tools.crm.store import Store

ROW = {
    "merchant_id": "m1",
    "segment": "lapsed_90d",
    "channel": "sms",
    "voucher_type": "percent_off",
    "voucher_value": "20",
    "product_category": "apparel>shoes",
    "sends": "1000",
    "opens": "300",
    "clicks": "60",
    "conversions": "12",
    "revenue": "540.5",
    "sent_at": "2026-03-01",
}


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_unsubscribes_come_in_with_the_import_and_stay_when_a_file_lacks_them(
    store_url: str, tmp_path: Path
) -> None:
    store = Store(store_url)
    with_them = write_csv(
        tmp_path / "a.csv",
        [{**ROW, "template_id": "t1", "text": "Hi", "unsubscribes": "7"}],
        list(IMPORT_COLUMNS),
    )
    ingest_file(store, with_them)
    assert store.unsubscribes(["t1"]) == {"t1": 7}
    without = write_csv(
        tmp_path / "b.csv",
        [{**ROW, "template_id": "t1", "text": "Hi", "sends": "2000"}],
        [c for c in IMPORT_COLUMNS if c != "unsubscribes"],
    )
    ingest_file(store, without)
    assert store.unsubscribes(["t1"]) == {"t1": 7}
    assert store.templates()[0].sends == 2000
    too_many = write_csv(
        tmp_path / "c.csv",
        [{**ROW, "template_id": "t2", "text": "Hi", "unsubscribes": "1001"}],
        list(IMPORT_COLUMNS),
    )
    with pytest.raises(IngestError, match=r"c.csv:2: unsubscribes: unsubscribes \(1001\) > sends"):
        ingest_file(store, too_many)


def test_a_version_2_store_gains_the_unsubscribes_column(tmp_path: Path) -> None:
    path = tmp_path / "crm.sqlite"
    ingest_file(
        Store(path),
        write_csv(tmp_path / "a.csv", [{**ROW, "template_id": "t1", "text": "Hi"}],
                  [c for c in IMPORT_COLUMNS if c != "unsubscribes"]),
    )  # fmt: skip
    with sqlite3.connect(path) as raw:  # as an older CRMAgent left it
        raw.execute("ALTER TABLE templates DROP COLUMN unsubscribes")
        raw.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
        raw.execute("DROP TABLE alembic_version")
    store = Store(path)
    assert store.get_meta("schema_version") == "3"
    assert [r.template_id for r in store.templates()] == ["t1"]
    assert store.unsubscribes(["t1"]) == {}


def test_arms_read_their_import_else_what_was_recorded(store_url: str, tmp_path: Path) -> None:
    experiments = Experiments(store_url)
    experiment = experiments.create("m1", "lapsed_90d", "sms", [(None, "Old"), (None, "New")])
    control, variant = experiment.arms
    assert (control.name, variant.name) == ("control", "variant-1")
    assert variant.template_id == f"exp-{experiment.experiment_id}-a1"
    assert experiment.arm("variant 1") == experiment.arm("1") == experiment.arm("EXP-1-A1")
    experiments.record(experiment, variant, 500, 10, unsubscribes=1)
    experiments.record(experiment, variant, 500, 12, unsubscribes=2)
    before = experiments.results(experiment)
    assert before[0].source == "none" and before[0].sends == 0
    assert (before[1].source, before[1].sends, before[1].conversions) == ("record", 1000, 22)
    assert before[1].unsubscribes == 3
    imported = {**ROW, "template_id": variant.template_id, "text": "New", "unsubscribes": "4"}
    ingest_file(Store(store_url), write_csv(tmp_path / "r.csv", [imported], list(IMPORT_COLUMNS)))
    after = experiments.results(experiment)[1]
    assert (after.source, after.sends, after.conversions, after.unsubscribes) == (
        "import",
        1000,
        12,
        4,
    )
    with pytest.raises(ValueError, match="was imported"):
        experiments.record(experiment, variant, 10, 1)
    with pytest.raises(ValueError, match=r"conversions \(11\) > sends \(10\)"):
        experiments.record(experiment, control, 10, 11)


def test_an_experiment_is_decided_once(store_url: str) -> None:
    experiments = Experiments(store_url)
    experiment = experiments.create("m1", "vip", "email", [("S", "Old"), ("T", "New")])
    shipped = experiments.decide(experiment, "shipped", "it won", experiment.arm("variant-1"))
    assert (shipped.status, shipped.shipped_arm, shipped.reason) == ("shipped", 1, "it won")
    with pytest.raises(ValueError, match="already shipped"):
        experiments.decide(shipped, "stopped", "again")
    with pytest.raises(LookupError, match="no experiment 99"):
        experiments.get(99)
    assert [e.experiment_id for e in experiments.all(["m2"])] == []
    assert [e.experiment_id for e in experiments.all(["m1"])] == [experiment.experiment_id]


def test_the_history_has_each_arms_conversions_after_each_import_or_record(
    store_url: str, tmp_path: Path
) -> None:
    experiments = Experiments(store_url)
    experiment = experiments.create("m1", "lapsed_90d", "sms", [(None, "Old"), (None, "New")])
    control, variant = experiment.arms
    experiments.record(experiment, control, 500, 5)
    store = Store(store_url)
    rows = [
        {**ROW, "template_id": variant.template_id, "text": "New", "conversions": "9"},
        {**ROW, "template_id": "t-other", "text": "Not an arm"},
    ]
    ingest_file(store, write_csv(tmp_path / "1.csv", rows, list(IMPORT_COLUMNS)))
    # The same file again changes nothing, and adds no reading.
    ingest_file(store, write_csv(tmp_path / "2.csv", rows, list(IMPORT_COLUMNS)))
    experiments.record(experiment, control, 500, 4)
    rows[0]["conversions"] = "20"
    ingest_file(store, write_csv(tmp_path / "3.csv", rows, list(IMPORT_COLUMNS)))
    history = experiments.history(experiment)
    assert [conversions for _, conversions in history] == [[5, 0], [5, 9], [9, 9], [9, 20]]
    assert [at for at, _ in history] == sorted(at for at, _ in history)
