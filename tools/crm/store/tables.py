"""The store's tables, as SQLAlchemy Core ``Table``s in one ``METADATA``: the CRM's own
(merchants, segments, products, vouchers, campaigns, templates, with the ``meta`` facts and
the ``llm_cache``), the access tables (keys, sign-in sessions, the review queue) and the
experiments. Every query of the store is built on these; the Alembic revisions create them.

Text compares byte by byte on every engine (PostgreSQL's ``C`` collation is SQLite's
``BINARY``), so that ids sort and match the same whichever database holds them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)
from sqlalchemy.dialects import postgresql

METADATA = MetaData()
"""Every table of the store."""

TEXT = Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")
"""A text column that sorts and compares byte by byte on every engine."""

meta = Table(
    "meta",
    METADATA,
    Column("key", TEXT, primary_key=True),
    Column("value", TEXT, nullable=False),
)

merchants = Table(
    "merchants",
    METADATA,
    Column("merchant_id", TEXT, primary_key=True),
    Column("name", TEXT, nullable=False),
    Column("brand_voice", TEXT, nullable=False, server_default="friendly"),
    Column("locale", TEXT, nullable=False, server_default="en"),
    Column(
        "max_discount",
        Float,
        CheckConstraint("max_discount IS NULL OR max_discount BETWEEN 0 AND 100"),
    ),
    Column("forbidden_words", TEXT, nullable=False, server_default="[]"),
    Column("merge_fields", TEXT),
)

segments = Table(
    "segments",
    METADATA,
    Column("merchant_id", TEXT, ForeignKey("merchants.merchant_id"), nullable=False),
    Column("name", TEXT, nullable=False),
    Column("canonical", TEXT),
    Column("customers", Integer, CheckConstraint("customers IS NULL OR customers >= 0")),
    PrimaryKeyConstraint("merchant_id", "name"),
)

products = Table(
    "products",
    METADATA,
    Column("product_id", TEXT, primary_key=True),
    Column("merchant_id", TEXT, ForeignKey("merchants.merchant_id"), nullable=False),
    Column("name", TEXT, nullable=False),
    Column("product_category", TEXT, nullable=False),
    Column("price", Float, CheckConstraint("price > 0"), nullable=False),
)

vouchers = Table(
    "vouchers",
    METADATA,
    Column("voucher_id", TEXT, primary_key=True),
    Column("merchant_id", TEXT, ForeignKey("merchants.merchant_id"), nullable=False),
    Column("type", TEXT, nullable=False),
    Column("value", Float, nullable=False),
    Column("min_spend", Float),
    Column("expires", TEXT),
    Column("code", TEXT),
)

campaigns = Table(
    "campaigns",
    METADATA,
    Column("campaign_id", TEXT, primary_key=True),
    Column("merchant_id", TEXT, ForeignKey("merchants.merchant_id"), nullable=False),
    Column("segment", TEXT, nullable=False),
    Column("voucher_id", TEXT, ForeignKey("vouchers.voucher_id"), nullable=False),
    Column("product_category", TEXT, nullable=False),
    Column("product_id", TEXT, ForeignKey("products.product_id")),
    Column(
        "channel",
        TEXT,
        CheckConstraint("channel IN ('im', 'sms', 'push', 'email')"),
        nullable=False,
    ),
    Column("sent_at", TEXT, nullable=False),
    Index("campaigns_merchant_segment", "merchant_id", "segment"),
)

templates = Table(
    "templates",
    METADATA,
    Column("template_id", TEXT, primary_key=True),
    Column("campaign_id", TEXT, ForeignKey("campaigns.campaign_id"), nullable=False),
    Column("merchant_id", TEXT, ForeignKey("merchants.merchant_id"), nullable=False),
    Column("segment", TEXT, nullable=False),
    Column("channel", TEXT, nullable=False),
    Column("product_category", TEXT, nullable=False),
    Column("text", TEXT, nullable=False),
    Column("subject", TEXT),
    Column("sends", Integer, CheckConstraint("sends >= opens"), nullable=False),
    Column("opens", Integer, CheckConstraint("opens >= clicks"), nullable=False),
    Column("clicks", Integer, CheckConstraint("clicks >= conversions"), nullable=False),
    Column("conversions", Integer, CheckConstraint("conversions >= 0"), nullable=False),
    Column("revenue", Float, CheckConstraint("revenue IS NULL OR revenue >= 0")),
    Column("unsubscribes", Integer, CheckConstraint("unsubscribes IS NULL OR unsubscribes >= 0")),
    Index("templates_merchant_segment", "merchant_id", "segment"),
    Index("templates_segment_category", "segment", "product_category"),
)

llm_cache = Table(
    "llm_cache",
    METADATA,
    Column("key", TEXT, primary_key=True),
    Column("value", TEXT, nullable=False),
)
"""Model answers kept per data version (the keys carry the version)."""

embeddings = Table(
    "embeddings",
    METADATA,
    Column("text_sha", TEXT, nullable=False),
    Column("model", TEXT, nullable=False),
    Column("vector", LargeBinary, nullable=False),
    PrimaryKeyConstraint("text_sha", "model"),
)
"""Each text's embedding (float32 bytes) by the text's sha256 and the embedding model: a
text is embedded once, whichever process or index needs it."""

leases = Table(
    "leases",
    METADATA,
    Column("name", TEXT, primary_key=True),
    Column("owner", TEXT, nullable=False),
    Column("expires", Float, nullable=False),
)
"""Work one process at a time may do (the vector index's update), each claimed with an
expiry so that a process that died holding it stops holding it."""

api_keys = Table(
    "api_keys",
    METADATA,
    Column("key_id", TEXT, primary_key=True),
    Column("digest", TEXT, nullable=False, unique=True),
    Column("merchants", TEXT, nullable=False),
    Column("role", TEXT, nullable=False),
    Column("label", TEXT),
    Column("created_at", TEXT, nullable=False),
    Column("revoked_at", TEXT),
)

web_sessions = Table(
    "web_sessions",
    METADATA,
    Column("digest", TEXT, primary_key=True),
    Column("key_id", TEXT, nullable=False),
    Column("csrf", TEXT, nullable=False),
    Column("expires_at", TEXT, nullable=False),
)

reviews = Table(
    "reviews",
    METADATA,
    Column("thread_id", TEXT, primary_key=True),
    Column("merchant_id", TEXT, nullable=False),
    Column("segment", TEXT, nullable=False),
    Column("channel", TEXT, nullable=False),
    Column("mode", TEXT, nullable=False),
    Column("flagged", Integer, nullable=False),
    Column("degraded", Integer, nullable=False),
    Column("status", TEXT, nullable=False),
    Column("reason", TEXT),
    Column("request", JSON, nullable=False),
    Column("result", JSON, nullable=False),
    Column("created_at", TEXT, nullable=False),
    Column("decided_at", TEXT),
    Column("decided_by", TEXT),
    Index("reviews_by_merchant", "merchant_id", "status", "created_at"),
)

experiments = Table(
    "experiments",
    METADATA,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("merchant_id", TEXT, nullable=False),
    Column("segment", TEXT, nullable=False),
    Column("channel", TEXT, nullable=False),
    Column("created_at", TEXT, nullable=False),
    Column(
        "status",
        TEXT,
        CheckConstraint("status IN ('running', 'stopped', 'shipped')"),
        nullable=False,
    ),
    Column("reason", TEXT),
    Column("shipped_arm", Integer),
    Column("decided_at", TEXT),
    Index("experiments_by_merchant", "merchant_id", "status"),
    sqlite_autoincrement=True,
)

experiment_arms = Table(
    "experiment_arms",
    METADATA,
    Column("experiment_id", Integer, ForeignKey("experiments.experiment_id"), nullable=False),
    Column("arm", Integer, nullable=False),
    Column("name", TEXT, nullable=False),
    Column("subject", TEXT),
    Column("body", TEXT, nullable=False),
    Column("template_id", TEXT, nullable=False, unique=True),
    PrimaryKeyConstraint("experiment_id", "arm"),
)

experiment_records = Table(
    "experiment_records",
    METADATA,
    Column("experiment_id", Integer, nullable=False),
    Column("arm", Integer, nullable=False),
    Column("sends", Integer, CheckConstraint("sends >= 0"), nullable=False),
    Column(
        "conversions",
        Integer,
        CheckConstraint("conversions >= 0 AND conversions <= sends"),
        nullable=False,
    ),
    Column("revenue", Float, CheckConstraint("revenue IS NULL OR revenue >= 0")),
    Column("unsubscribes", Integer, CheckConstraint("unsubscribes IS NULL OR unsubscribes >= 0")),
    Column("recorded_at", TEXT, nullable=False),
    ForeignKeyConstraint(
        ["experiment_id", "arm"], ["experiment_arms.experiment_id", "experiment_arms.arm"]
    ),
)

arm_readings = Table(
    "arm_readings",
    METADATA,
    Column("template_id", TEXT, nullable=False),
    Column("sends", Integer, nullable=False),
    Column("conversions", Integer, nullable=False),
    Column("read_at", TEXT, nullable=False),
    Index("arm_readings_template", "template_id"),
)
"""An experiment arm's totals as each import left them (its template id ``exp-...``): the
experiment's history, drawn as cumulative conversions by arm."""
