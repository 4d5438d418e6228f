"""The fairness ledger and the backtest: rep_state.ledger (assignments and fair share owed per
UTC hour, read by the `balanced` picker and the guardrail), assignments.lead_fields (every field
read from the CRM, so a backtest replays the lead as it was) and routing_state_snapshots (the
routing state at each UTC midnight, where a backtest starts)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 03:30:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
UTC = sa.DateTime(timezone=True)  # connector.platform.models.UTCDateTime stores UTC in it


def upgrade() -> None:
    with op.batch_alter_table('rep_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ledger', JSON, nullable=False, server_default='{}'))
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lead_fields', JSON, nullable=True))
    op.create_table('routing_state_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('taken_at', UTC, nullable=False),
    sa.Column('body', JSON, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_state_snapshots'))
    )
    op.create_index(op.f('ix_routing_state_snapshots_taken_at'), 'routing_state_snapshots', ['taken_at'],
                    unique=True)


def downgrade() -> None:
    op.drop_index(op.f('ix_routing_state_snapshots_taken_at'), table_name='routing_state_snapshots')
    op.drop_table('routing_state_snapshots')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_column('lead_fields')
    with op.batch_alter_table('rep_state', schema=None) as batch_op:
        batch_op.drop_column('ledger')
