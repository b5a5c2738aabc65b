"""commitments (信用承诺): the commitments subjects signed, registered by departments

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "commitments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column(
            "type",
            sa.Enum("approval", "disclosure", "industry", "repair", "certification", name="commitmenttype",
                    native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("matter", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("document_no", sa.String(length=100), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("active", "kept", "breached", "withdrawn", name="commitmentstatus", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.Column("breach_record_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["breach_record_id"], ["credit_records.id"],
                                name=op.f("fk_commitments_breach_record_id_credit_records")),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_users.id"],
                                name=op.f("fk_commitments_created_by_id_staff_users")),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_commitments_department_id_departments")),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_commitments_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitments")),
    )
    op.create_index(op.f("ix_commitments_department_id"), "commitments", ["department_id"], unique=False)
    op.create_index("ix_commitments_subject_status", "commitments", ["subject_id", "status"], unique=False)
    op.create_index("uq_commitments_document", "commitments", ["subject_id", "department_id", "document_no"],
                    unique=True, postgresql_where=sa.text("status <> 'withdrawn'"),
                    sqlite_where=sa.text("status <> 'withdrawn'"))


def downgrade() -> None:
    op.drop_index("uq_commitments_document", table_name="commitments")
    op.drop_index("ix_commitments_subject_status", table_name="commitments")
    op.drop_index(op.f("ix_commitments_department_id"), table_name="commitments")
    op.drop_table("commitments")
