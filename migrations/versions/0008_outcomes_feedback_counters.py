"""lead_outcomes (per routed assignment: CRM status, first activity, won / lost, stored once),
lead_feedback (a rep's "Not a fit" with its reason) and metric_counters (counts every process
adds to, read by /metrics)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 02:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)  # connector.platform.models.UTCDateTime stores UTC in it
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('lead_outcomes',
    sa.Column('assignment_id', ID, nullable=False),
    sa.Column('crm_status', sa.String(length=120), nullable=True),
    sa.Column('status_changed_at', UTC, nullable=True),
    sa.Column('first_activity_at', UTC, nullable=True),
    sa.Column('result', sa.String(length=10), nullable=True),
    sa.Column('result_at', UTC, nullable=True),
    sa.Column('checked_at', UTC, nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'],
                            name=op.f('fk_lead_outcomes_assignment_id_assignments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assignment_id', name=op.f('pk_lead_outcomes'))
    )
    with op.batch_alter_table('lead_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_outcomes_checked_at'), ['checked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_outcomes_result'), ['result'], unique=False)

    op.create_table('lead_feedback',
    sa.Column('id', ID, nullable=False),
    sa.Column('assignment_id', ID, nullable=False),
    sa.Column('rep_id', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.Column('by', sa.String(length=120), nullable=True),
    sa.Column('rerouted', sa.Boolean(), nullable=False),
    sa.Column('at', UTC, nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'],
                            name=op.f('fk_lead_feedback_assignment_id_assignments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_feedback'))
    )
    with op.batch_alter_table('lead_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_feedback_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_feedback_at'), ['at'], unique=False)

    op.create_table('metric_counters',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('labels', sa.String(length=255), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('updated_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('name', 'labels', name=op.f('pk_metric_counters'))
    )


def downgrade() -> None:
    op.drop_table('metric_counters')
    with op.batch_alter_table('lead_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_feedback_at'))
        batch_op.drop_index(batch_op.f('ix_lead_feedback_assignment_id'))
    op.drop_table('lead_feedback')
    with op.batch_alter_table('lead_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_outcomes_result'))
        batch_op.drop_index(batch_op.f('ix_lead_outcomes_checked_at'))
    op.drop_table('lead_outcomes')
