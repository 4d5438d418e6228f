"""rep_state.open_by_connection: each connection's share of a rep's open load, so reconciling one
CRM replaces only its own share (open_load stays their sum, what the engine reads)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:55:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table('rep_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_by_connection', JSON, nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('rep_state', schema=None) as batch_op:
        batch_op.drop_column('open_by_connection')
