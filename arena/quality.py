"""Data quality checks that every arena build must pass (after CRMArena's checks on its
generated org): linked objects, a funnel that narrows, realistic rates, no repeated text
within a merchant, work for every mode of the agent, and latent variables kept apart.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from arena.hidden import HIDDEN_TABLES, SEGMENTS

# Middle 90% of per-template open (read) rates, per channel, for templates with enough sends.
OPEN_RATE_BOUNDS = {
    "im": (0.10, 0.60),
    "push": (0.10, 0.60),
    "sms": (0.40, 0.98),
    "email": (0.08, 0.60),
}
CVR_BOUNDS = (0.002, 0.10)
"""Conversions per send, per channel in aggregate."""
RICH_TEMPLATES = 8
LITTLE_TEMPLATES = 3
MIN_MERCHANTS_PER_LEVEL = 2


class QualityError(RuntimeError):
    """The generated world fails a data quality check."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        super().__init__("arena world failed its quality checks:\n" + "\n".join(failures))


def check_world(store_path: Path, hidden_path: Path) -> list[str]:
    """Every failed check, as a sentence naming what is wrong (empty when the world is good)."""
    failures: list[str] = []
    conn = sqlite3.connect(store_path)
    try:
        failures += _links(conn)
        failures += _funnel(conn)
        failures += _rates(conn)
        failures += _duplicates(conn)
        failures += _mode_coverage(conn)
        failures += _no_latent_in_store(conn)
        merchants = {row[0] for row in conn.execute("SELECT merchant_id FROM merchants")}
    finally:
        conn.close()
    failures += _hidden_complete(hidden_path, merchants)
    return failures


def _links(conn: sqlite3.Connection) -> list[str]:
    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    failures = [
        f"foreign key: {table} row {rowid} points at a missing {parent}"
        for table, rowid, parent, _ in broken[:10]
    ]
    mismatched = conn.execute(
        "SELECT t.template_id FROM templates t JOIN campaigns c USING (campaign_id) "
        "WHERE t.merchant_id != c.merchant_id OR t.segment != c.segment "
        "OR t.channel != c.channel OR t.product_category != c.product_category LIMIT 10"
    ).fetchall()
    failures += [f"template {tid} disagrees with its campaign" for (tid,) in mismatched]
    return failures


def _funnel(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT template_id FROM templates WHERE NOT (sends >= opens AND opens >= clicks "
        "AND clicks >= conversions AND conversions >= 0) LIMIT 10"
    ).fetchall()
    return [
        f"template {tid}: funnel sends >= opens >= clicks >= conversions broken" for (tid,) in rows
    ]


def _rates(conn: sqlite3.Connection) -> list[str]:
    failures = []
    for channel, (low, high) in OPEN_RATE_BOUNDS.items():
        rows = np.array(
            conn.execute(
                "SELECT opens * 1.0 / sends FROM templates WHERE channel = ? AND sends >= 300",
                (channel,),
            ).fetchall(),
            dtype=float,
        ).ravel()
        if rows.size == 0:
            failures.append(f"channel {channel}: no templates with 300+ sends")
            continue
        p5, p95 = np.percentile(rows, [5, 95])
        if p5 < low or p95 > high:
            failures.append(
                f"channel {channel}: open rates p5-p95 {p5:.1%}-{p95:.1%} outside "
                f"{low:.0%}-{high:.0%}"
            )
    for channel, sends, conversions in conn.execute(
        "SELECT channel, SUM(sends), SUM(conversions) FROM templates GROUP BY channel"
    ):
        cvr = conversions / sends
        if not CVR_BOUNDS[0] <= cvr <= CVR_BOUNDS[1]:
            failures.append(
                f"channel {channel}: conversion per send {cvr:.2%} outside "
                f"{CVR_BOUNDS[0]:.1%}-{CVR_BOUNDS[1]:.0%}"
            )
    return failures


def _duplicates(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT merchant_id, COUNT(*) FROM templates GROUP BY merchant_id, text "
        "HAVING COUNT(*) > 1 LIMIT 10"
    ).fetchall()
    return [f"merchant {m}: the same text appears {n} times" for m, n in rows]


def _mode_coverage(conn: sqlite3.Connection) -> list[str]:
    counts: dict[str, list[int]] = {segment: [] for segment in SEGMENTS}
    for segment, n in conn.execute(
        "SELECT segment, COUNT(*) FROM templates GROUP BY merchant_id, segment"
    ):
        counts.setdefault(segment, []).append(n)
    merchants = conn.execute("SELECT COUNT(*) FROM merchants").fetchone()[0]
    failures = []
    for segment in SEGMENTS:
        found = counts[segment]
        rich = sum(n >= RICH_TEMPLATES for n in found)
        little = sum(1 <= n <= LITTLE_TEMPLATES for n in found)
        none = merchants - len(found)
        for level, count in (("rich", rich), ("little", little), ("no", none)):
            if count < MIN_MERCHANTS_PER_LEVEL:
                failures.append(
                    f"segment {segment}: only {count} merchant(s) with {level} history; "
                    f"every mode needs at least {MIN_MERCHANTS_PER_LEVEL}"
                )
    return failures


def _no_latent_in_store(conn: sqlite3.Connection) -> list[str]:
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    leaked = sorted(tables & set(HIDDEN_TABLES))
    return [f"the visible store holds hidden table(s): {', '.join(leaked)}"] if leaked else []


def _hidden_complete(hidden_path: Path, merchants: set[str]) -> list[str]:
    if not hidden_path.exists():
        return [f"{hidden_path}: latent variables missing"]
    conn = sqlite3.connect(hidden_path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = sorted(set(HIDDEN_TABLES) - tables)
        if missing:
            return [f"{hidden_path}: hidden table(s) missing: {', '.join(missing)}"]
        hidden_merchants = {r[0] for r in conn.execute("SELECT merchant_id FROM merchant_params")}
    finally:
        conn.close()
    if hidden_merchants != merchants:
        return [
            f"{hidden_path}: latent variables for {len(hidden_merchants)} merchants, the "
            f"store has {len(merchants)}"
        ]
    return []
