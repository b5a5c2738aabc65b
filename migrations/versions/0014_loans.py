"""信易贷 applications and 信易批 approval applications

- ``loan_applications``: a firm's application to one bank's 信易贷 product, the bank's time-limited
  authorisation to read the firm's card (``authorised_until`` / ``authorisation_ended_at``) and the
  decision (approved amount, rate in basis points, term; or the reason). The work is a queue item of
  kind ``loan`` (queue_items, no schema change).
- ``approval_applications``: an approval application recorded by 区行政审批局, marked 容缺受理
  (``fast_track``) with its basis, the firm's grade at that time and the intercept check.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("approval_applications",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("department_id", sa.Integer(), nullable=False),
    sa.Column("firm_id", sa.Integer(), nullable=False),
    sa.Column("perk_id", sa.Integer(), nullable=False),
    sa.Column("matter", sa.String(length=200), nullable=False),
    sa.Column("reference_no", sa.String(length=60), nullable=True),
    sa.Column("received_on", sa.Date(), nullable=False),
    sa.Column("fast_track", sa.Boolean(), nullable=False),
    sa.Column("basis", sa.Text(), nullable=False),
    sa.Column("grade", sa.String(length=20), nullable=False),
    sa.Column("grade_label", sa.String(length=20), nullable=False),
    sa.Column("score", sa.Integer(), nullable=False),
    sa.Column("intercept_check_id", sa.Integer(), nullable=True),
    sa.Column("recorded_by", sa.String(length=64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["department_id"], ["departments.id"], name=op.f("fk_approval_applications_department_id_departments")),
    sa.ForeignKeyConstraint(["firm_id"], ["subjects.id"], name=op.f("fk_approval_applications_firm_id_subjects")),
    sa.ForeignKeyConstraint(["intercept_check_id"], ["intercept_checks.id"], name=op.f("fk_approval_applications_intercept_check_id_intercept_checks")),
    sa.ForeignKeyConstraint(["perk_id"], ["perks.id"], name=op.f("fk_approval_applications_perk_id_perks")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_applications"))
    )
    with op.batch_alter_table("approval_applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_approval_applications_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_approval_applications_firm_id"), ["firm_id"], unique=False)

    op.create_table("loan_applications",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("perk_id", sa.Integer(), nullable=False),
    sa.Column("bank_id", sa.Integer(), nullable=False),
    sa.Column("firm_id", sa.Integer(), nullable=False),
    sa.Column("account_id", sa.Integer(), nullable=False),
    sa.Column("amount_yuan", sa.Integer(), nullable=False),
    sa.Column("term_months", sa.Integer(), nullable=False),
    sa.Column("purpose", sa.Text(), nullable=False),
    sa.Column("rules_code", sa.String(length=40), nullable=False),
    sa.Column("grade", sa.String(length=20), nullable=False),
    sa.Column("score", sa.Integer(), nullable=False),
    sa.Column("status", sa.Enum("pending", "approved", "refused", "withdrawn", name="loanstatus", native_enum=False, length=10), nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("submitted_on", sa.Date(), nullable=False),
    sa.Column("authorised_until", sa.DateTime(timezone=True), nullable=False),
    sa.Column("authorisation_ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("approved_amount_yuan", sa.Integer(), nullable=True),
    sa.Column("rate_bp", sa.Integer(), nullable=True),
    sa.Column("approved_term_months", sa.Integer(), nullable=True),
    sa.Column("decision_reason", sa.Text(), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("decided_on", sa.Date(), nullable=True),
    sa.Column("decided_by_id", sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_loan_applications_account_id_accounts")),
    sa.ForeignKeyConstraint(["bank_id"], ["departments.id"], name=op.f("fk_loan_applications_bank_id_departments")),
    sa.ForeignKeyConstraint(["decided_by_id"], ["staff_users.id"], name=op.f("fk_loan_applications_decided_by_id_staff_users")),
    sa.ForeignKeyConstraint(["firm_id"], ["subjects.id"], name=op.f("fk_loan_applications_firm_id_subjects")),
    sa.ForeignKeyConstraint(["perk_id"], ["perks.id"], name=op.f("fk_loan_applications_perk_id_perks")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_applications"))
    )
    with op.batch_alter_table("loan_applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loan_applications_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_loan_applications_bank_status", ["bank_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_loan_applications_firm_id"), ["firm_id"], unique=False)



def downgrade() -> None:
    with op.batch_alter_table("loan_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loan_applications_firm_id"))
        batch_op.drop_index("ix_loan_applications_bank_status")
        batch_op.drop_index(batch_op.f("ix_loan_applications_account_id"))

    op.drop_table("loan_applications")
    with op.batch_alter_table("approval_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_approval_applications_firm_id"))
        batch_op.drop_index(batch_op.f("ix_approval_applications_department_id"))

    op.drop_table("approval_applications")
