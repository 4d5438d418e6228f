"""connection_health: per connection, the last successful CRM call, the last error and the API
headroom the CRM's headers reported, shared by every process (the web shows what workers saw)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:10:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)  # connector.models.UTCDateTime stores UTC in it
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table('connection_health',
    sa.Column('connection', sa.String(length=64), nullable=False),
    sa.Column('last_ok_at', UTC, nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', UTC, nullable=True),
    sa.Column('headroom', JSON, nullable=False),
    sa.Column('headroom_at', UTC, nullable=True),
    sa.Column('updated_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('connection', name=op.f('pk_connection_health'))
    )


def downgrade() -> None:
    op.drop_table('connection_health')
