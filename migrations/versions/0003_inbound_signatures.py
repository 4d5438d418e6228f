"""inbound_signatures: signatures of recent inbound-door requests, so a replay is refused by
every web process

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:40:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)  # connector.models.UTCDateTime stores UTC in it


def upgrade() -> None:
    op.create_table('inbound_signatures',
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.Column('seen_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('signature', name=op.f('pk_inbound_signatures'))
    )
    with op.batch_alter_table('inbound_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_signatures_seen_at'), ['seen_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('inbound_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_signatures_seen_at'))
    op.drop_table('inbound_signatures')
