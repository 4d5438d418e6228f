"""Drop teams and team_members: teams live in the routing config (its ``teams`` list), and these
tables were never written or read

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:20:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table('team_members')
    op.drop_table('teams')


def downgrade() -> None:
    op.create_table('teams',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('manager_email', sa.String(length=320), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams'))
    )
    op.create_table('team_members',
    sa.Column('team_id', sa.String(length=64), nullable=False),
    sa.Column('rep_id', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['rep_id'], ['reps.id'], name=op.f('fk_team_members_rep_id_reps'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'rep_id', name=op.f('pk_team_members'))
    )
