"""The store at schema v3, as CRMAgent wrote it before Alembic: the CRM's tables, the model
cache, the access tables and the experiments.

A file from before Alembic (``meta.schema_version`` 1, 2 or 3, no ``alembic_version``) is
brought to v3 with the additive steps it lacks, and gets the tables it had not yet made
(each table and index is created only where it is missing).

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TEXT = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
INT, FLOAT = sa.Integer(), sa.Float()
_LEGACY_STEPS = {
    1: "ALTER TABLE merchants ADD COLUMN merge_fields TEXT",
    2: "ALTER TABLE templates ADD COLUMN unsubscribes INTEGER "
    "CHECK (unsubscribes IS NULL OR unsubscribes >= 0)",
}
"""What brought a store file of each older version up to the next (SQLite files only)."""
_TABLES = (
    "meta", "merchants", "segments", "products", "vouchers", "campaigns", "templates",
    "llm_cache", "api_keys", "web_sessions", "reviews", "experiments", "experiment_arms",
    "experiment_records",
)  # fmt: skip
"""The tables in the order they are created (each after those it refers to)."""


def _text(name: str, *items: Any, **options: Any) -> sa.Column[str]:
    return sa.Column(name, TEXT, *items, **options)


def _check(
    name: str, condition: str, kind: sa.types.TypeEngine[Any], **options: Any
) -> sa.Column[Any]:
    return sa.Column(name, kind, sa.CheckConstraint(condition), **options)


def _table(name: str, *items: Any, **kw: object) -> None:
    op.create_table(name, *items, if_not_exists=True, **kw)


def _index(name: str, table: str, *columns: str) -> None:
    op.create_index(name, table, list(columns), if_not_exists=True)


def _bring_legacy_file_to_v3(bind: sa.Connection) -> None:
    if not sa.inspect(bind).has_table("meta"):
        return
    found = bind.exec_driver_sql("SELECT value FROM meta WHERE key = 'schema_version'").scalar()
    if found is None:
        return
    version = int(found)
    while version in _LEGACY_STEPS:
        op.execute(_LEGACY_STEPS[version])
        version += 1
    if version != 3:
        raise RuntimeError(
            f"{bind.engine.url}: schema version {found}, this CRMAgent expects 3; move the "
            "file aside and re-import"
        )


def upgrade() -> None:
    """Create what is missing of schema v3."""
    _bring_legacy_file_to_v3(op.get_bind())
    _table("meta", _text("key", primary_key=True), _text("value", nullable=False))
    _table(
        "merchants",
        _text("merchant_id", primary_key=True),
        _text("name", nullable=False),
        _text("brand_voice", nullable=False, server_default="friendly"),
        _text("locale", nullable=False, server_default="en"),
        _check("max_discount", "max_discount IS NULL OR max_discount BETWEEN 0 AND 100", FLOAT),
        _text("forbidden_words", nullable=False, server_default="[]"),
        _text("merge_fields"),
    )
    _table(
        "segments",
        _text("merchant_id", sa.ForeignKey("merchants.merchant_id"), nullable=False),
        _text("name", nullable=False),
        _text("canonical"),
        _check("customers", "customers IS NULL OR customers >= 0", INT),
        sa.PrimaryKeyConstraint("merchant_id", "name"),
    )
    _table(
        "products",
        _text("product_id", primary_key=True),
        _text("merchant_id", sa.ForeignKey("merchants.merchant_id"), nullable=False),
        _text("name", nullable=False),
        _text("product_category", nullable=False),
        _check("price", "price > 0", FLOAT, nullable=False),
    )
    _table(
        "vouchers",
        _text("voucher_id", primary_key=True),
        _text("merchant_id", sa.ForeignKey("merchants.merchant_id"), nullable=False),
        _text("type", nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("min_spend", sa.Float()),
        _text("expires"),
        _text("code"),
    )
    _table(
        "campaigns",
        _text("campaign_id", primary_key=True),
        _text("merchant_id", sa.ForeignKey("merchants.merchant_id"), nullable=False),
        _text("segment", nullable=False),
        _text("voucher_id", sa.ForeignKey("vouchers.voucher_id"), nullable=False),
        _text("product_category", nullable=False),
        _text("product_id", sa.ForeignKey("products.product_id")),
        _text(
            "channel",
            sa.CheckConstraint("channel IN ('im', 'sms', 'push', 'email')"),
            nullable=False,
        ),
        _text("sent_at", nullable=False),
    )
    _table(
        "templates",
        _text("template_id", primary_key=True),
        _text("campaign_id", sa.ForeignKey("campaigns.campaign_id"), nullable=False),
        _text("merchant_id", sa.ForeignKey("merchants.merchant_id"), nullable=False),
        _text("segment", nullable=False),
        _text("channel", nullable=False),
        _text("product_category", nullable=False),
        _text("text", nullable=False),
        _text("subject"),
        _check("sends", "sends >= opens", INT, nullable=False),
        _check("opens", "opens >= clicks", INT, nullable=False),
        _check("clicks", "clicks >= conversions", INT, nullable=False),
        _check("conversions", "conversions >= 0", INT, nullable=False),
        _check("revenue", "revenue IS NULL OR revenue >= 0", FLOAT),
        _check("unsubscribes", "unsubscribes IS NULL OR unsubscribes >= 0", INT),
    )
    _index("templates_merchant_segment", "templates", "merchant_id", "segment")
    _index("templates_segment_category", "templates", "segment", "product_category")
    _index("campaigns_merchant_segment", "campaigns", "merchant_id", "segment")
    _table("llm_cache", _text("key", primary_key=True), _text("value", nullable=False))
    _table(
        "api_keys",
        _text("key_id", primary_key=True),
        _text("digest", nullable=False, unique=True),
        _text("merchants", nullable=False),
        _text("role", nullable=False),
        _text("label"),
        _text("created_at", nullable=False),
        _text("revoked_at"),
    )
    _table(
        "web_sessions",
        _text("digest", primary_key=True),
        _text("key_id", nullable=False),
        _text("csrf", nullable=False),
        _text("expires_at", nullable=False),
    )
    _table(
        "reviews",
        _text("thread_id", primary_key=True),
        _text("merchant_id", nullable=False),
        _text("segment", nullable=False),
        _text("channel", nullable=False),
        _text("mode", nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("degraded", sa.Integer(), nullable=False),
        _text("status", nullable=False),
        _text("reason"),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        _text("created_at", nullable=False),
        _text("decided_at"),
        _text("decided_by"),
    )
    _index("reviews_by_merchant", "reviews", "merchant_id", "status", "created_at")
    _table(
        "experiments",
        sa.Column("experiment_id", sa.Integer(), primary_key=True, autoincrement=True),
        _text("merchant_id", nullable=False),
        _text("segment", nullable=False),
        _text("channel", nullable=False),
        _text("created_at", nullable=False),
        _text(
            "status",
            sa.CheckConstraint("status IN ('running', 'stopped', 'shipped')"),
            nullable=False,
        ),
        _text("reason"),
        sa.Column("shipped_arm", sa.Integer()),
        _text("decided_at"),
        sqlite_autoincrement=True,
    )
    _index("experiments_by_merchant", "experiments", "merchant_id", "status")
    _table(
        "experiment_arms",
        sa.Column(
            "experiment_id",
            sa.Integer(),
            sa.ForeignKey("experiments.experiment_id"),
            nullable=False,
        ),
        sa.Column("arm", sa.Integer(), nullable=False),
        _text("name", nullable=False),
        _text("subject"),
        _text("body", nullable=False),
        _text("template_id", nullable=False, unique=True),
        sa.PrimaryKeyConstraint("experiment_id", "arm"),
    )
    _table(
        "experiment_records",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("arm", sa.Integer(), nullable=False),
        _check("sends", "sends >= 0", INT, nullable=False),
        _check("conversions", "conversions >= 0 AND conversions <= sends", INT, nullable=False),
        _check("revenue", "revenue IS NULL OR revenue >= 0", FLOAT),
        _check("unsubscribes", "unsubscribes IS NULL OR unsubscribes >= 0", INT),
        _text("recorded_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id", "arm"], ["experiment_arms.experiment_id", "experiment_arms.arm"]
        ),
    )
    # An older CRMAgent reads the version here: it opens this file as its own v3.
    op.execute("DELETE FROM meta WHERE key = 'schema_version'")
    op.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '3')")


def downgrade() -> None:
    """Drop every table (the store's data with them)."""
    for table in _TABLES[::-1]:
        op.drop_table(table)
