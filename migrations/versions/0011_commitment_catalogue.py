"""commitment catalogue (信用承诺事项清单), signed letters, integrity notices (诚信教育)

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COMMITMENT_TYPE = sa.Enum("approval", "disclosure", "industry", "repair", "certification", name="commitmenttype",
                          native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        "commitment_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", COMMITMENT_TYPE, nullable=False),
        sa.Column("subject_kinds", sa.JSON(), nullable=False),
        sa.Column("refuse_listed", sa.Boolean(), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("agency_uscc", sa.String(length=18), nullable=True),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"],
                                name=op.f("fk_commitment_items_department_id_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_items")),
    )
    op.create_index("uq_commitment_items_department_code", "commitment_items", ["department_id", "code"], unique=True)
    op.create_table(
        "commitment_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["commitment_items.id"],
                                name=op.f("fk_commitment_templates_item_id_commitment_items")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitment_templates")),
    )
    op.create_index("uq_commitment_templates_item_version", "commitment_templates", ["item_id", "version"], unique=True)
    op.create_table(
        "commitment_letters",
        sa.Column("commitment_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("signer_account_id", sa.Integer(), nullable=False),
        sa.Column("signer_identity_level", sa.String(length=20), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verify_code", sa.String(length=32), nullable=False),
        sa.Column("approval_matter", sa.String(length=200), nullable=True),
        sa.Column("approval_no", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["commitment_id"], ["commitments.id"],
                                name=op.f("fk_commitment_letters_commitment_id_commitments")),
        sa.ForeignKeyConstraint(["item_id"], ["commitment_items.id"],
                                name=op.f("fk_commitment_letters_item_id_commitment_items")),
        sa.ForeignKeyConstraint(["signer_account_id"], ["accounts.id"],
                                name=op.f("fk_commitment_letters_signer_account_id_accounts")),
        sa.PrimaryKeyConstraint("commitment_id", name=op.f("pk_commitment_letters")),
        sa.UniqueConstraint("verify_code", name=op.f("uq_commitment_letters_verify_code")),
    )
    op.create_index(op.f("ix_commitment_letters_item_id"), "commitment_letters", ["item_id"], unique=False)
    op.create_index(op.f("ix_commitment_letters_signer_account_id"), "commitment_letters", ["signer_account_id"],
                    unique=False)
    op.create_table(
        "integrity_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["staff_users.id"],
                                name=op.f("fk_integrity_notices_created_by_id_staff_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_notices")),
        sa.UniqueConstraint("version", name=op.f("uq_integrity_notices_version")),
    )
    op.create_table(
        "integrity_acknowledgements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("notice_version", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_integrity_acknowledgements_account_id_accounts")),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"],
                                name=op.f("fk_integrity_acknowledgements_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_acknowledgements")),
    )
    op.create_index("uq_integrity_ack", "integrity_acknowledgements", ["subject_id", "notice_version"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_integrity_ack", table_name="integrity_acknowledgements")
    op.drop_table("integrity_acknowledgements")
    op.drop_table("integrity_notices")
    op.drop_index(op.f("ix_commitment_letters_signer_account_id"), table_name="commitment_letters")
    op.drop_index(op.f("ix_commitment_letters_item_id"), table_name="commitment_letters")
    op.drop_table("commitment_letters")
    op.drop_index("uq_commitment_templates_item_version", table_name="commitment_templates")
    op.drop_table("commitment_templates")
    op.drop_index("uq_commitment_items_department_code", table_name="commitment_items")
    op.drop_table("commitment_items")
