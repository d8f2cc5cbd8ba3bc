"""assessment schedules: the slot a SCHEDULED assessment was made for, unique per slot

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 13:12:35.764062
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import atrium.models.base


revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "scheduled_for", atrium.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_assessments_project_id_repository_id_scheduled_for"),
            ["project_id", "repository_id", "scheduled_for"],
        )


def downgrade() -> None:
    with op.batch_alter_table("assessments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_assessments_project_id_repository_id_scheduled_for"), type_="unique"
        )
        batch_op.drop_column("scheduled_for")
