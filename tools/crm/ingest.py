"""Ingestion of a merchant's templates with their send statistics, from CSV or JSONL.

The whole file is validated before the store is touched; every problem is reported as
``FILE:ROW: field: what is wrong``; a file with any bad row changes nothing. Rows are
counted as a spreadsheet shows them (the CSV header is row 1) and as lines for JSONL.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic_core import ErrorDetails

from tools.crm.store import TEMPLATE_COLUMNS, Store, TemplateRecord
from tools.domain import (
    CategoryPath,
    Channel,
    Identifier,
    SegmentName,
    TemplateBody,
    VoucherCode,
    VoucherType,
    describe_error,
    funnel_problems,
    voucher_problems,
)

IMPORT_COLUMNS: tuple[str, ...] = (*TEMPLATE_COLUMNS, "unsubscribes")
"""The columns a file may have: a template's, and its unsubscribes (kept beside the
template's statistics, read by experiments' guardrail)."""
OPTIONAL_COLUMNS = frozenset({"subject", "min_spend", "expires", "code", "revenue", "unsubscribes"})
REQUIRED_COLUMNS = tuple(c for c in IMPORT_COLUMNS if c not in OPTIONAL_COLUMNS)
MAX_CELL_BYTES = 1_000_000
MAX_REPORTED = 50
"""Problems printed before the rest are summed up as a count."""

_VOUCHER_FIELDS = {"value": "voucher_value", "min_spend": "min_spend"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""How a spreadsheet formula starts (what ``export`` escapes)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located by row and field."""

    file: str
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.field}: {self.message}"


class IngestError(Exception):
    """The file is invalid; nothing was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:MAX_REPORTED])
        more = len(problems) - MAX_REPORTED
        super().__init__(shown + (f"\n... and {more} more problems" if more > 0 else ""))


@dataclass(frozen=True)
class IngestReport:
    """What an import did (or, on a dry run, would do)."""

    file: str
    rows: int
    new_templates: int
    updated_templates: int
    dry_run: bool


class IngestRow(BaseModel):
    """One row of an ingestion file, field by field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    template_id: Identifier
    merchant_id: Identifier
    segment: SegmentName
    channel: Channel
    voucher_type: VoucherType
    voucher_value: float = 0.0
    min_spend: float | None = None
    expires: date | None = None
    code: VoucherCode | None = None
    product_category: CategoryPath
    text: TemplateBody
    subject: str | None = Field(default=None, max_length=500)
    sends: NonNegativeInt
    opens: NonNegativeInt
    clicks: NonNegativeInt
    conversions: NonNegativeInt
    revenue: float | None = Field(default=None, ge=0)
    sent_at: date
    unsubscribes: NonNegativeInt | None = None

    @field_validator("text", "subject", mode="before")
    @classmethod
    def _unescape(cls, value: Any) -> Any:
        """Undo ``spreadsheet_safe``: an exported cell comes back as it went out."""
        if isinstance(value, str) and value[:1] == "'" and value[1:2] in _FORMULA_START:
            return value[1:]
        return value

    def cross_field_problems(self) -> list[tuple[str, str]]:
        """Problems that involve several fields: the funnel and the voucher's numbers."""
        unsubscribed = (
            [("unsubscribes", f"unsubscribes ({self.unsubscribes}) > sends ({self.sends})")]
            if self.unsubscribes is not None and self.unsubscribes > self.sends
            else []
        )
        return (
            funnel_problems(self.sends, self.opens, self.clicks, self.conversions)
            + _voucher_field_problems(self.voucher_type, self.voucher_value, self.min_spend)
            + unsubscribed
        )

    def record(self) -> TemplateRecord:
        """The row as the store keeps it."""
        return TemplateRecord(
            self.template_id,
            self.merchant_id,
            self.segment,
            self.channel.value,
            self.voucher_type.value,
            self.voucher_value,
            self.min_spend,
            None if self.expires is None else self.expires.isoformat(),
            self.code,
            self.product_category,
            self.text,
            self.subject,
            self.sends,
            self.opens,
            self.clicks,
            self.conversions,
            self.revenue,
            self.sent_at.isoformat(),
        )


_FUNNEL = ("sends", "opens", "clicks", "conversions")


def _voucher_field_problems(
    voucher_type: VoucherType, value: float, min_spend: float | None
) -> list[tuple[str, str]]:
    """A voucher's problems, named by the ingestion file's columns."""
    return [
        (_VOUCHER_FIELDS.get(field, field), message)
        for field, message in voucher_problems(voucher_type, value, min_spend)
    ]


def _funnel_and_voucher(values: dict[str, Any]) -> list[tuple[str, str]]:
    """Cross-field problems among the fields in ``values`` (those that parsed)."""
    problems: list[tuple[str, str]] = []
    if all(field in values for field in _FUNNEL):
        problems += funnel_problems(*(values[field] for field in _FUNNEL))
    if "voucher_type" in values and "voucher_value" in values and "min_spend" in values:
        problems += _voucher_field_problems(
            VoucherType(values["voucher_type"]), values["voucher_value"], values["min_spend"]
        )
    return problems


def _parsed_fields(raw: dict[str, Any], failed: set[str]) -> dict[str, Any]:
    """The values of a bad row's fields that did parse, so that cross-field problems
    are reported in the same pass as the field errors."""
    parsed: dict[str, Any] = {}
    for name in (*_FUNNEL, "voucher_type", "voucher_value", "min_spend"):
        if name in failed:
            continue
        value = raw.get(name, IngestRow.model_fields[name].default)
        parsed[name] = value if value is None else _adapter(name).validate_python(value)
    return parsed


@cache
def _adapter(field: str) -> TypeAdapter[Any]:
    annotation = IngestRow.model_fields[field].annotation
    assert annotation is not None
    return TypeAdapter(annotation)


_DATES = "write dates as YYYY-MM-DD, e.g. 2026-03-01"
_FIXES = {
    "date_parsing": _DATES,
    "date_from_datetime_parsing": _DATES,
    "float_parsing": (
        "write numbers without a thousands separator, e.g. 1234.50 "
        "(1234,50 in a semicolon-separated file)"
    ),
    "int_parsing": "write whole numbers with no separator, e.g. 1200",
}
"""What to write instead, for values a spreadsheet formats its own way."""


def _describe(error: ErrorDetails) -> str:
    """A pydantic error as a sentence a merchant can act on: what to write instead, for
    values a spreadsheet formats its own way."""
    if error["type"] == "missing" or (
        error["input"] is None and error["type"] not in {"value_error"}
    ):
        return "is required but empty"
    fix = _FIXES.get(error["type"])
    return describe_error(error) + (f"; {fix}" if fix else "")


def _blank_to_none(value: Any) -> Any:
    """An empty cell means 'not given', in CSV and JSONL alike."""
    return None if isinstance(value, str) and not value.strip() else value


def _decode(path: Path, data: bytes) -> tuple[str, list[Problem]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        return "", [
            Problem(
                str(path),
                row,
                "file",
                f"not UTF-8 (byte 0x{data[exc.start]:02X} at offset {exc.start}); "
                "save the file as UTF-8 and import it again",
            )
        ]


DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
"""What a spreadsheet separates columns with: a comma; a semicolon where the comma is the
decimal mark (Excel in much of Europe saves "CSV" so, decimals included: ``_decimal_points``);
a tab from a copied sheet."""


def _delimiter(text: str) -> str:
    """The separator of the header row: the one that splits it into the most known columns
    (a comma when none does better)."""
    header = text.split("\n", 1)[0]

    def known(delimiter: str) -> int:
        return sum(c.strip().strip('"') in IMPORT_COLUMNS for c in header.split(delimiter))

    return max(DELIMITERS, key=known)


DECIMAL_COLUMNS = ("voucher_value", "min_spend", "revenue")
_DECIMAL_COMMA = re.compile(r"-?(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+),\d+")
_POINT_THOUSANDS = re.compile(r"-?[1-9]\d{0,2}(?:\.\d{3}){2,}")
_ONE_POINT_GROUP = re.compile(r"-?[1-9]\d{0,2}\.\d{3}")


def _decimal_points(row: dict[str, Any]) -> list[tuple[str, str]]:
    """A semicolon-separated file writes decimals with a comma ("12,50"), and thousands,
    where a cell is formatted so, with points ("1.234,50", "1.234.567"): read them so.
    "1.234" could be either, so it is a problem (field, message), not a guess."""
    problems = []
    for column in DECIMAL_COLUMNS:
        value = (row.get(column) or "").strip()
        if _DECIMAL_COMMA.fullmatch(value) or _POINT_THOUSANDS.fullmatch(value):
            row[column] = value.replace(".", "").replace(",", ".")
        elif _ONE_POINT_GROUP.fullmatch(value):
            whole, fraction = value.replace(".", ""), value.replace(".", ",")
            problems.append(
                (
                    column,
                    f"{value!r} could be {whole} or {fraction} in a semicolon-separated file; "
                    f"write {whole} or {fraction}",
                )
            )
    return problems


def _csv_rows(
    path: Path, text: str, ignore_extra: bool
) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    name = str(path)
    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[Problem] = []
    csv.field_size_limit(MAX_CELL_BYTES)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [column.strip() for column in next(reader)]
    except StopIteration:
        return [], [Problem(name, 1, "header", "the file is empty; expected a header row")]
    duplicates = sorted({c for c in header if header.count(c) > 1})
    if duplicates:
        problems.append(Problem(name, 1, "header", f"duplicate column(s): {', '.join(duplicates)}"))
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        problems.append(
            Problem(
                name,
                1,
                "header",
                f"missing column(s): {', '.join(missing)}; the header is "
                + ",".join(IMPORT_COLUMNS),
            )
        )
    extra = [c for c in header if c not in IMPORT_COLUMNS]
    if extra and not ignore_extra:
        problems.append(
            Problem(
                name,
                1,
                "header",
                f"unknown column(s): {', '.join(extra)}; remove them or pass --ignore-extra",
            )
        )
    if problems:
        return [], problems
    number = 1
    kept = [(i, c) for i, c in enumerate(header) if c in IMPORT_COLUMNS]
    try:
        for number, cells in enumerate(reader, start=2):
            if not cells or all(not cell or cell.isspace() for cell in cells):
                continue
            if len(cells) != len(header):
                problems.append(
                    Problem(
                        name,
                        number,
                        "row",
                        f"has {len(cells)} fields, the header has {len(header)} "
                        f"(a truncated line or an unquoted {DELIMITERS[delimiter]}?)",
                    )
                )
                continue
            # An empty cell means "not given" (inline: this loop runs once a cell).
            row = {c: cells[i] if cells[i] and not cells[i].isspace() else None for i, c in kept}
            if delimiter == ";":
                problems.extend(
                    Problem(name, number, field, message) for field, message in _decimal_points(row)
                )
            rows.append((number, row))
    except csv.Error as exc:
        problems.append(Problem(name, number + 1, "row", f"unreadable CSV: {exc}"))
    return rows, problems


def _jsonl_rows(
    path: Path, text: str, ignore_extra: bool
) -> tuple[list[tuple[int, dict[str, Any]]], list[Problem]]:
    name = str(path)
    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[Problem] = []
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(Problem(name, number, "line", f"not valid JSON: {exc.msg}"))
            continue
        if not isinstance(item, dict):
            problems.append(Problem(name, number, "line", "expected a JSON object per line"))
            continue
        extra = [key for key in item if key not in IMPORT_COLUMNS]
        if extra and not ignore_extra:
            problems.append(
                Problem(
                    name,
                    number,
                    extra[0],
                    f"unknown key(s) {', '.join(extra)}; remove them or pass --ignore-extra",
                )
            )
            continue
        rows.append(
            (number, {k: _blank_to_none(v) for k, v in item.items() if k in IMPORT_COLUMNS})
        )
    return rows, problems


_ROWS = TypeAdapter(list[IngestRow])


def _validated(
    rows: list[tuple[int, dict[str, Any]]],
) -> Iterator[tuple[int, dict[str, Any], IngestRow | ValidationError]]:
    """Each row parsed, or its validation error. A clean file is validated in one call to
    pydantic's core (much faster than row by row); one with errors, row by row, so every
    error is told with its row."""
    try:
        parsed = _ROWS.validate_python([raw for _, raw in rows])
    except ValidationError:
        for number, raw in rows:
            try:
                yield number, raw, IngestRow.model_validate(raw)
            except ValidationError as exc:
                yield number, raw, exc
        return
    for (number, raw), row in zip(rows, parsed, strict=True):
        yield number, raw, row


def validate_file(path: Path, ignore_extra: bool = False) -> list[TemplateRecord]:
    """Read and validate a whole file; raise ``IngestError`` listing every problem."""
    return [row.record() for row in _valid_rows(path, ignore_extra)]


def _valid_rows(path: Path, ignore_extra: bool) -> list[IngestRow]:
    path = Path(path)
    name = str(path)
    if path.suffix.lower() not in {".csv", ".jsonl"}:
        raise IngestError([Problem(name, 0, "file", "use a .csv or .jsonl file")])
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError([Problem(name, 0, "file", f"cannot read: {exc.strerror}")]) from exc
    text, problems = _decode(path, data)
    if problems:
        raise IngestError(problems)
    reader = _csv_rows if path.suffix.lower() == ".csv" else _jsonl_rows
    rows, problems = reader(path, text, ignore_extra)
    records: list[IngestRow] = []
    first_seen: dict[str, int] = {}
    for number, raw, row in _validated(rows):
        if isinstance(row, ValidationError):
            failed = {".".join(str(part) for part in error["loc"]) for error in row.errors()}
            problems.extend(
                Problem(
                    name, number, ".".join(str(part) for part in error["loc"]), _describe(error)
                )
                for error in row.errors()
            )
            problems.extend(
                Problem(name, number, field, message)
                for field, message in _funnel_and_voucher(_parsed_fields(raw, failed))
            )
            continue
        problems.extend(
            Problem(name, number, field, message) for field, message in row.cross_field_problems()
        )
        if row.template_id in first_seen:
            problems.append(
                Problem(
                    name,
                    number,
                    "template_id",
                    f"duplicate id {row.template_id!r} (first on row "
                    f"{first_seen[row.template_id]})",
                )
            )
            continue
        first_seen[row.template_id] = number
        records.append(row)
    if not records and not problems:
        problems.append(Problem(name, 1, "file", "no template rows found"))
    if problems:
        raise IngestError(problems)
    return records


class _DryRun(Exception):
    """Rolls a dry run's import back, once it has counted what would change."""


def ingest_file(
    store: Store | None, path: Path, ignore_extra: bool = False, dry_run: bool = False
) -> IngestReport:
    """Validate a file, then (unless ``dry_run``) import it into the store in one transaction.

    Re-importing a file is idempotent: templates are keyed by ``template_id`` and updated in
    place, so statistics that grew since the last export replace the old ones. Only rows
    that differ from the stored ones count as updated; a file that changes nothing leaves
    the store's data version (and so the caches and the vector index) as it was. A dry run
    with a store counts the same way and writes nothing.
    """
    rows = _valid_rows(path, ignore_extra)
    records = [row.record() for row in rows]
    if store is None:
        if not dry_run:
            raise ValueError("a store is needed unless dry_run is set")
        return IngestReport(str(path), len(records), len(records), 0, dry_run=True)
    new = len(records) - len(store.existing_template_ids(r.template_id for r in records))
    written = 0
    try:
        with store.transaction():
            written = store.put_templates(records, unsubscribes=[row.unsubscribes for row in rows])
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return IngestReport(str(path), len(records), new, written - new, dry_run=dry_run)


def spreadsheet_safe(value: object) -> object:
    """A cell that a spreadsheet will not run as a formula: text starting with = + - @ (or a
    tab or carriage return) gets a leading apostrophe, which ``ingest`` removes again."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_file(store: Store, path: Path) -> int:
    """Write every template to a CSV with the ingestion header, unsubscribes last (empty
    where not known), so that the file imports back as it was; returns the rows written."""
    records = store.templates()
    unsubscribed = store.unsubscribes()
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(IMPORT_COLUMNS)
        for record in records:
            cells = [*record, unsubscribed.get(record.template_id)]
            writer.writerow(["" if v is None else spreadsheet_safe(v) for v in cells])
    return len(records)
