"""信用修复 applications (repair_applications, repair_records)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repair_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("methods", sa.JSON(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("commitment_id", sa.Integer(), nullable=True),
        sa.Column("promise_version", sa.String(length=40), nullable=True),
        sa.Column("rule_version", sa.String(length=40), nullable=False),
        sa.Column("query_code", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum("submitted", "repaired", "refused", "withdrawn", "expired", name="repairstatus",
                    native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("answer_due", sa.Date(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("retry_from", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_repair_applications_account_id_accounts")),
        sa.ForeignKeyConstraint(["commitment_id"], ["commitments.id"],
                                name=op.f("fk_repair_applications_commitment_id_commitments")),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_repair_applications_department_id_departments")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_repair_applications_person_id_persons")),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_repair_applications_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_applications")),
        sa.UniqueConstraint("query_code", name=op.f("uq_repair_applications_query_code")),
    )
    with op.batch_alter_table("repair_applications", schema=None) as batch_op:
        batch_op.create_index("ix_repair_applications_person_id", ["person_id"], unique=False)
        batch_op.create_index("ix_repair_applications_subject_id", ["subject_id"], unique=False)

    op.create_table(
        "repair_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["repair_applications.id"],
                                name=op.f("fk_repair_records_application_id_repair_applications")),
        sa.ForeignKeyConstraint(["record_id"], ["credit_records.id"], name=op.f("fk_repair_records_record_id_credit_records")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_records")),
    )
    with op.batch_alter_table("repair_records", schema=None) as batch_op:
        batch_op.create_index("ix_repair_records_application_id", ["application_id"], unique=False)
        batch_op.create_index("uq_repair_records_open_record", ["record_id"], unique=True,
                              postgresql_where=sa.text("is_open"), sqlite_where=sa.text("is_open = 1"))


def downgrade() -> None:
    with op.batch_alter_table("repair_records", schema=None) as batch_op:
        batch_op.drop_index("uq_repair_records_open_record", postgresql_where=sa.text("is_open"),
                            sqlite_where=sa.text("is_open = 1"))
        batch_op.drop_index("ix_repair_records_application_id")
    op.drop_table("repair_records")
    with op.batch_alter_table("repair_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_repair_applications_subject_id")
        batch_op.drop_index("ix_repair_applications_person_id")
    op.drop_table("repair_applications")
