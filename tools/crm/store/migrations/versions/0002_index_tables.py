"""The vector index's tables in the store: the embeddings kept by text hash and model, and
the leases that let one process at a time update the index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TEXT = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")


def upgrade() -> None:
    """Create the embeddings cache and the leases."""
    op.create_table(
        "embeddings",
        sa.Column("text_sha", TEXT, nullable=False),
        sa.Column("model", TEXT, nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("text_sha", "model"),
        if_not_exists=True,
    )
    op.create_table(
        "leases",
        sa.Column("name", TEXT, primary_key=True),
        sa.Column("owner", TEXT, nullable=False),
        sa.Column("expires", sa.Float(), nullable=False),
        if_not_exists=True,
    )


def downgrade() -> None:
    """Drop them (the index embeds its texts again)."""
    op.drop_table("leases")
    op.drop_table("embeddings")
