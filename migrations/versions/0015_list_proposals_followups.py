"""严重失信 / 禁入 entries by proposal and confirmation; commitment follow-ups on the queue engine

- ``list_entries.proposed_by_id`` / ``decided_by_id`` / ``decided_at`` / ``decision_note``: a
  department's proposal (status ``proposed``, not in force) and the credit office's confirmation or
  refusal (status ``active`` or ``rejected``). The status column is a plain string (no CHECK), so the
  two new values need no change to it.
- Commitment follow-ups (承诺履约核查) are ``queue_items`` of kind ``commitment_followup`` whose
  ``ref_id`` is the commitment: no table of their own; ``uq_queue_items_kind_ref`` keeps one item per
  commitment.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("list_entries", schema=None) as batch:
        batch.add_column(sa.Column("proposed_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("decision_note", sa.Text(), nullable=True))
        batch.create_foreign_key(batch.f("fk_list_entries_proposed_by_id_staff_users"), "staff_users",
                                 ["proposed_by_id"], ["id"])
        batch.create_foreign_key(batch.f("fk_list_entries_decided_by_id_staff_users"), "staff_users",
                                 ["decided_by_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("list_entries", schema=None) as batch:
        batch.drop_constraint(batch.f("fk_list_entries_decided_by_id_staff_users"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_list_entries_proposed_by_id_staff_users"), type_="foreignkey")
        batch.drop_column("decision_note")
        batch.drop_column("decided_at")
        batch.drop_column("decided_by_id")
        batch.drop_column("proposed_by_id")
