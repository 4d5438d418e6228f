"""connections.poll_cursor as text: a cursor carries the ids seen at its boundary timestamp, and a
burst of records created in the same second (an import, a list upload) made it longer than 255
characters, so the poll failed and the cursor never moved on

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:10:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.alter_column('poll_cursor', existing_type=sa.String(length=255), type_=sa.Text(),
                              existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.alter_column('poll_cursor', existing_type=sa.Text(), type_=sa.String(length=255),
                              existing_nullable=True)
