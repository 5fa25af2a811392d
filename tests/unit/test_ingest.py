"""Ingestion: good files land whole, bad files are rejected whole with row-and-field errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tools.crm.ingest import IngestError, ingest_file, validate_file
from tools.crm.store import TEMPLATE_COLUMNS, Store

pytestmark = pytest.mark.reliability

GOOD_ROW = {
    "template_id": "t1",
    "merchant_id": "m1",
    "segment": "lapsed_90d",
    "channel": "sms",
    "voucher_type": "percent_off",
    "voucher_value": "20",
    "min_spend": "",
    "expires": "2026-12-31",
    "code": "BACK20",
    "product_category": "apparel>shoes",
    "text": "We miss you! 20% off with BACK20.",
    "subject": "",
    "sends": "1000",
    "opens": "300",
    "clicks": "60",
    "conversions": "12",
    "revenue": "540.5",
    "sent_at": "2026-03-01",
}


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, columns or list(TEMPLATE_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    return path


def problems_of(path: Path, ignore_extra: bool = False) -> list[str]:
    with pytest.raises(IngestError) as info:
        validate_file(path, ignore_extra)
    return [str(problem) for problem in info.value.problems]


def test_sample_file_is_valid(sample_csv: Path) -> None:
    records = validate_file(sample_csv)
    assert len(records) == 20
    assert {r.merchant_id for r in records} == {"m001", "m002", "m003"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"conversions": "80"}, "bad.csv:2: conversions: conversions (80) > clicks (60)"),
        ({"sends": "-5"}, "bad.csv:2: sends: Input should be greater than or equal to 0"),
        ({"channel": "fax"}, "bad.csv:2: channel: Input should be"),
        ({"text": "  "}, "bad.csv:2: text: is required but empty"),
        ({"sent_at": "01/03/2026"}, "bad.csv:2: sent_at: Input should be a valid date"),
        ({"voucher_value": "120"}, "bad.csv:2: voucher_value: percent_off value (120)"),
        ({"sends": ""}, "bad.csv:2: sends: is required but empty"),
        ({"product_category": "Apparel>>"}, "bad.csv:2: product_category: "),
        ({"opens": "1.5"}, "bad.csv:2: opens: Input should be a valid integer"),
    ],
)
def test_each_bad_row_names_row_and_field(
    tmp_path: Path, change: dict[str, str], expected: str
) -> None:
    path = write_csv(tmp_path / "bad.csv", [{**GOOD_ROW, **change}])
    found = problems_of(path)
    assert any(problem.startswith(str(tmp_path / expected)) for problem in found), found


def test_row_numbers_count_like_a_spreadsheet(tmp_path: Path) -> None:
    rows = [{**GOOD_ROW, "template_id": f"t{i}"} for i in range(5)]
    rows[3]["opens"] = "5000"
    path = write_csv(tmp_path / "bad.csv", rows)
    assert problems_of(path) == [f"{path}:5: opens: opens (5000) > sends (1000)"]


def test_duplicate_ids_in_one_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dup.csv", [GOOD_ROW, GOOD_ROW])
    assert problems_of(path) == [f"{path}:3: template_id: duplicate id 't1' (first on row 2)"]


def test_unknown_columns_need_ignore_extra(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "x.csv", [{**GOOD_ROW, "notes": "hi"}], [*TEMPLATE_COLUMNS, "notes"]
    )
    assert "unknown column(s): notes" in problems_of(path)[0]
    assert len(validate_file(path, ignore_extra=True)) == 1


def test_missing_columns_are_named(tmp_path: Path) -> None:
    columns = [c for c in TEMPLATE_COLUMNS if c not in {"text", "sends"}]
    path = write_csv(tmp_path / "x.csv", [{k: GOOD_ROW[k] for k in columns}], columns)
    assert "missing column(s): text, sends" in problems_of(path)[0]


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    columns = [c for c in TEMPLATE_COLUMNS if c not in {"subject", "revenue", "code"}]
    path = write_csv(tmp_path / "x.csv", [{k: GOOD_ROW[k] for k in columns}], columns)
    (record,) = validate_file(path)
    assert record.code is None and record.revenue is None


def test_truncated_line_and_bom_and_crlf(tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", [GOOD_ROW]).read_text()
    bommed = tmp_path / "bom.csv"
    bommed.write_bytes(b"\xef\xbb\xbf" + good.replace("\r\n", "\n").replace("\n", "\r\n").encode())
    assert validate_file(bommed)[0].template_id == "t1"
    truncated = tmp_path / "cut.csv"
    truncated.write_text(good + "t2,m1,lapsed_90d,sms\n")
    assert problems_of(truncated) == [
        f"{truncated}:3: row: has 4 fields, the header has 18 (a truncated line or an "
        "unquoted comma?)"
    ]


def test_not_utf8_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    text = write_csv(tmp_path / "x.csv", [{**GOOD_ROW, "text": "Café time: 20% off"}]).read_text()
    path.write_bytes(text.encode("latin-1"))
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:2: file: not UTF-8 (byte 0xE9")


def test_jsonl_uses_the_same_keys(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    good = {**GOOD_ROW, "sends": 1000, "opens": 300, "clicks": 60, "conversions": 12}
    path.write_text(json.dumps(good) + "\n\n" + "{not json\n" + json.dumps({**good, "x": 1}))
    assert problems_of(path) == [
        f"{path}:3: line: not valid JSON: Expecting property name enclosed in double quotes",
        f"{path}:4: x: unknown key(s) x; remove them or pass --ignore-extra",
    ]


def test_import_is_idempotent_and_updates_statistics(
    store_url: str, tmp_path: Path, sample_csv: Path
) -> None:
    store = Store(store_url)
    first = ingest_file(store, sample_csv)
    version = store.get_meta("data_version")
    second = ingest_file(store, sample_csv)
    # The same file again changes nothing, so nothing built from the data is stale.
    assert (first.new_templates, second.new_templates, second.updated_templates) == (20, 0, 0)
    assert store.get_meta("data_version") == version
    for table, count in (("templates", 20), ("merchants", 3), ("vouchers", 5)):
        assert store.count(table) == count
    path = write_csv(
        tmp_path / "more.csv",
        [{**GOOD_ROW, "template_id": "t001", "merchant_id": "m001", "sends": "5000"}],
    )
    assert ingest_file(store, path, dry_run=True).updated_templates == 1
    assert store.get_meta("data_version") == version
    assert ingest_file(store, path).updated_templates == 1
    (updated,) = [r for r in store.templates("m001") if r.template_id == "t001"]
    assert updated.sends == 5000 and store.count("templates") == 20
    assert store.get_meta("data_version") != version


def test_dry_run_writes_nothing(store_url: str, sample_csv: Path) -> None:
    store = Store(store_url)
    report = ingest_file(store, sample_csv, dry_run=True)
    assert report.dry_run and report.rows == 20 and store.count("templates") == 0


def test_merchant_segments_map_onto_canonical(store_url: str) -> None:
    store = Store(store_url)
    with store.transaction():
        store.map_segment("m1", "winback", "lapsed_90d")
    assert store.canonical_segment("m1", "winback") == "lapsed_90d"
    assert store.canonical_segment("m1", "vip") == "vip"
    assert store.canonical_segment("m2", "winback") is None
    with pytest.raises(ValueError, match="unknown"), store.transaction():
        store.map_segment("m1", "x", "sleepers")
    with pytest.raises(ValueError, match="'vip' is itself a canonical"), store.transaction():
        store.map_segment("m1", "vip", "lapsed_90d")
    assert store.canonical_segment("m1", "vip") == "vip"
    # A name no request could carry, or no merchant id, is refused, each field named.
    with pytest.raises(ValueError) as refused, store.transaction():
        store.map_segment("m 1", "VIP Club", "vip")
    assert str(refused.value).startswith("merchant_id: 'm 1' is not an identifier")
    assert "; name: 'VIP Club' is not a segment name" in str(refused.value)
    assert store.canonical_segment("m 1", "VIP Club") is None


def test_a_write_transaction_borrows_a_large_page_cache_and_gives_it_back(tmp_path: Path) -> None:
    def cache_size(store: Store) -> int:
        return int(store._conn.exec_driver_sql("PRAGMA cache_size").scalar_one())

    with Store(tmp_path / "crm.sqlite") as store:
        before = cache_size(store)
        with store.transaction():
            assert cache_size(store) < before  # negative: KiB; -131072 is 128 MB
        assert cache_size(store) == before
        with pytest.raises(RuntimeError), store.transaction():
            raise RuntimeError("a failed import")
        assert cache_size(store) == before


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab")])
def test_a_semicolon_or_tab_separated_file_reads_like_a_comma_one(
    tmp_path: Path, delimiter: str, name: str
) -> None:
    # Excel saves "CSV" with semicolons where the comma is the decimal mark; the texts hold
    # commas and semicolons of their own, quoted as a spreadsheet quotes them.
    row = {**GOOD_ROW, "text": 'Hi; we miss you, {first_name}! "20%" off with BACK20.'}
    commas = write_csv(tmp_path / "commas.csv", [row])
    other = tmp_path / "other.csv"
    with other.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(TEMPLATE_COLUMNS), delimiter=delimiter)
        writer.writeheader()
        writer.writerow(row)
    assert validate_file(other) == validate_file(commas)
    if delimiter == ";":  # and decimals with a comma: 540,5 is 540.5
        decimal_commas = other.read_text().replace(";540.5;", ";540,5;")
        assert ";540,5;" in decimal_commas
        other.write_text(decimal_commas)
        assert validate_file(other) == validate_file(commas)
        # thousands with points where the cell is formatted so: 1.234,50 is 1234.50
        thousands = other.read_text().replace(";540,5;", ";1.234,50;")
        other.write_text(thousands.replace(";1.234,50;", ";1.234;"))
        assert problems_of(other) == [
            f"{other}:2: revenue: '1.234' could be 1234 or 1,234 in a semicolon-separated file; "
            "write 1234 or 1,234"
        ]
        other.write_text(thousands)
        (record,) = validate_file(other)
        assert record.revenue == 1234.5
        other.write_text(thousands.replace(";1.234,50;", ";1.234.567;"))
        assert validate_file(other)[0].revenue == 1234567
        other.write_text(thousands.replace(";1.234,50;", ";1.234,5,0;"))
        (problem,) = problems_of(other)
        assert "revenue: Input should be a valid number" in problem
        assert problem.endswith("(1234,50 in a semicolon-separated file)")
        other.write_text(thousands)
    other.write_text(other.read_text() + delimiter.join(["t2", "m1", "lapsed_90d"]) + "\n")
    assert problems_of(other) == [
        f"{other}:3: row: has 3 fields, the header has 18 (a truncated line or an unquoted {name}?)"
    ]


DATES = "write dates as YYYY-MM-DD, e.g. 2026-03-01"


@pytest.mark.parametrize(
    ("change", "problem", "hint"),
    [
        ({"sent_at": "01/03/2026"}, "sent_at: Input should be a valid date", DATES),
        ({"expires": "31.12.2026"}, "expires: Input should be a valid date", DATES),
        (
            {"revenue": "1.234,50"},
            "revenue: Input should be a valid number",
            "write numbers without a thousands separator, e.g. 1234.50 "
            "(1234,50 in a semicolon-separated file)",
        ),
        (
            {"sends": "1,200"},
            "sends: Input should be a valid integer",
            "write whole numbers with no separator, e.g. 1200",
        ),
    ],
)
def test_a_value_formatted_by_a_spreadsheet_gets_the_format_to_use(
    tmp_path: Path, change: dict[str, str], problem: str, hint: str
) -> None:
    (found,) = problems_of(write_csv(tmp_path / "bad.csv", [{**GOOD_ROW, **change}]))
    assert problem in found and found.endswith(f"; {hint}")
