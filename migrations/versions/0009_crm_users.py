"""crm_users: each CRM connection's users as the last roster sync saw them (the rep editor's owner
id picker, the roster's "not yet in routing" list)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 03:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)  # connector.platform.models.UTCDateTime stores UTC in it


def upgrade() -> None:
    op.create_table('crm_users',
    sa.Column('connection', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('synced_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('connection', 'user_id', name=op.f('pk_crm_users'))
    )
    with op.batch_alter_table('crm_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_crm_users_email'), ['email'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('crm_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_crm_users_email'))
    op.drop_table('crm_users')
