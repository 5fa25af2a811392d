"""The experiment arms' readings: each arm's totals as each import left them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TEXT = sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")


def upgrade() -> None:
    """Create the readings table."""
    op.create_table(
        "arm_readings",
        sa.Column("template_id", TEXT, nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("conversions", sa.Integer(), nullable=False),
        sa.Column("read_at", TEXT, nullable=False),
        if_not_exists=True,
    )
    op.create_index("arm_readings_template", "arm_readings", ["template_id"], if_not_exists=True)


def downgrade() -> None:
    """Drop it (the experiments' history with it)."""
    op.drop_table("arm_readings")
