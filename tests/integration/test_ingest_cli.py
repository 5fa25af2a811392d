"""``crmagent ingest`` as a merchant runs it: a real process, a real SQLite file."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
from pathlib import Path

from crmagent.measure.bench import write_synthetic_csv
from tests.integration.cli import crmagent
from tools.crm.store import TEMPLATE_COLUMNS, Store


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_bad_file_exits_2_and_changes_nothing(
    tmp_path: Path, crmagent_home: Path, sample_csv: Path
) -> None:
    assert crmagent("ingest", sample_csv).returncode == 0
    store_file = crmagent_home / "crm.sqlite"
    before = digest(store_file)
    rows = list(csv.DictReader(sample_csv.open()))
    rows[0]["template_id"] = "new-good-row"  # a good row must not land with the bad one
    rows[6]["conversions"] = str(int(rows[6]["clicks"]) + 1)
    rows[9]["channel"] = "fax"
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(TEMPLATE_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)

    result = crmagent("ingest", bad)

    assert result.returncode == 2
    assert f"{bad}:8: conversions: conversions" in result.stderr
    assert f"{bad}:11: channel: Input should be" in result.stderr
    assert "nothing was imported" in result.stderr
    assert digest(store_file) == before


def test_good_file_twice_leaves_each_row_once(crmagent_home: Path, sample_csv: Path) -> None:
    first = crmagent("ingest", sample_csv)
    with Store(crmagent_home / "crm.sqlite") as store:
        version = store.get_meta("data_version")
    second = crmagent("ingest", sample_csv)
    assert first.returncode == second.returncode == 0
    # The same file again changes nothing: the data version (what the vector index and the
    # caches are kept by) stays, so nothing is rebuilt.
    assert "20 new, 0 updated" in first.stdout and "0 new, 0 updated" in second.stdout
    with Store(crmagent_home / "crm.sqlite") as store:
        assert store.count("templates") == 20
        assert store.get_meta("data_version") == version


def test_fifty_thousand_rows_in_one_go(tmp_path: Path, crmagent_home: Path) -> None:
    big = write_synthetic_csv(tmp_path / "big.csv", 50_000, merchants=97)
    result = crmagent("ingest", big)
    assert result.returncode == 0, result.stderr
    assert "50000 new" in result.stdout
    with Store(crmagent_home / "crm.sqlite") as store:
        assert store.count("templates") == 50_000
        assert store.count("merchants") == 97


def test_a_merchants_own_segment_name_mapped_is_learned_from(
    tmp_path: Path, crmagent_home: Path, sample_csv: Path
) -> None:
    # m004 imports m001's lapsed history under its own name "winback", then maps the name:
    # the summary says what the name follows, and a request in "winback" learns from
    # m004's own templates, weighed against the whole lapsed_90d segment. m005, with one
    # template under "lapsers", borrows from other merchants' lapsed_90d messages, m004's
    # among them.
    rows = [r for r in csv.DictReader(sample_csv.open()) if r["segment"] == "lapsed_90d"]
    own = tmp_path / "winback.csv"
    with own.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(TEMPLATE_COLUMNS))
        writer.writeheader()
        writer.writerows(
            {**r, "template_id": "w" + r["template_id"], "merchant_id": "m004",
             "segment": "winback"}
            for r in rows
        )  # fmt: skip
        writer.writerow({**rows[0], "template_id": "x1", "merchant_id": "m005",
                         "segment": "lapsers"})  # fmt: skip
    assert crmagent("ingest", sample_csv).returncode == crmagent("ingest", own).returncode == 0

    mapped = crmagent("map-segment", "m004", "winback", "lapsed_90d")
    refused = crmagent("map-segment", "m004", "vip", "lapsed_90d")
    assert crmagent("map-segment", "m005", "lapsers", "lapsed_90d").returncode == 0
    summary = crmagent("summary")
    flags = {
        "--merchant-id": "m004",
        "--segment": "winback",
        "--channel": "sms",
        "--voucher-type": "percent_off",
        "--voucher-value": "20",
        "--code": "BACK20",
        "--category": "apparel>shoes>running",
        "--product": "Runner",
        "--original": "We miss you. 20% off.",
    }

    def generate(changes: dict[str, str]) -> subprocess.CompletedProcess[str]:
        request = {**flags, **changes}
        return crmagent("generate", "--json", *(p for f in request.items() for p in f))

    generated = generate({})
    borrowed = generate({"--merchant-id": "m005", "--segment": "lapsers"})

    assert mapped.returncode == 0 and "'winback' now follows 'lapsed_90d'" in mapped.stdout
    assert refused.returncode == 2 and "'vip' is itself a canonical segment" in refused.stderr
    assert "winback -> lapsed_90d" in summary.stdout
    assert generated.returncode == 0, generated.stderr
    result = json.loads(generated.stdout)
    assert result["mode"] == "group"
    cited = {i for p in result["patterns"] for i in p["evidence"]}
    assert cited and all(i.startswith("w") for i in cited)
    assert f"all {2 * len(rows) + 1} of the segment's" in result["guidance"][1]["text"]
    assert borrowed.returncode == 0, borrowed.stderr
    result = json.loads(borrowed.stdout)
    assert result["mode"] == "retrieval"
    assert {r["merchant_id"] for r in result["references"]} >= {"m004"}
    assert " top lapsed_90d messages of " in result["guidance"][0]["text"]
    assert f"all {2 * len(rows) + 1} lapsed_90d messages" in result["guidance"][1]["text"]
