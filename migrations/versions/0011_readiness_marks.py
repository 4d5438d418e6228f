"""readiness_marks: which `alert: owner` rules each lead matched when last checked, so its owner
is told once per crossing

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 04:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC = sa.DateTime(timezone=True)  # connector.platform.models.UTCDateTime stores UTC in it


def upgrade() -> None:
    op.create_table('readiness_marks',
    sa.Column('connection', sa.String(length=64), nullable=False),
    sa.Column('lead_id', sa.String(length=64), nullable=False),
    sa.Column('matched', JSON, nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('connection', 'lead_id', name=op.f('pk_readiness_marks'))
    )


def downgrade() -> None:
    op.drop_table('readiness_marks')
