"""信易+ perks, vouchers and compare-and-intercept; the legal representative"s linked list entry

- ``intercept_checks`` / ``intercept_hits``: the interception log (seed 四(一) 自动比对、自动拦截): one row
  per check with who asked, one per hit.
- ``perks`` / ``vouchers``: the 信易+ catalogue (eligibility rule as data, quota) and one-time vouchers.
- ``list_entries.linked_entry_id``: seed 四(五), the entry in a legal representative"s personal file
  that follows the firm"s 严重失信 entry and leaves with it.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intercept_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("domain", sa.String(length=40), nullable=True),
        sa.Column("perk_id", sa.Integer(), nullable=True),
        sa.Column("subjects", sa.Integer(), nullable=False),
        sa.Column("invalid", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["department_id"], ["departments.id"], name=op.f("fk_intercept_checks_department_id_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intercept_checks"))
    )
    with op.batch_alter_table("intercept_checks", schema=None) as batch_op:
        batch_op.create_index("ix_intercept_checks_at", ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_intercept_checks_department_id"), ["department_id"], unique=False)

    op.create_table(
        "perks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("category", sa.Enum("loan", "approval", "rent", "travel", "transit", name="perkcategory", native_enum=False, length=10), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("subject_kinds", sa.JSON(), nullable=False),
        sa.Column("domain", sa.String(length=40), nullable=True),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("benefit", sa.Text(), nullable=False),
        sa.Column("red_bonus", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("quota", sa.Integer(), nullable=True),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("voucher_hours", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["provider_id"], ["departments.id"], name=op.f("fk_perks_provider_id_departments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_perks")),
        sa.UniqueConstraint("code", name=op.f("uq_perks_code"))
    )
    with op.batch_alter_table("perks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_perks_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "vouchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("perk_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("status", sa.Enum("issued", "redeemed", name="voucherstatus", native_enum=False, length=10), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("redeemed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_vouchers_account_id_accounts")),
        sa.ForeignKeyConstraint(["merchant_id"], ["departments.id"], name=op.f("fk_vouchers_merchant_id_departments")),
        sa.ForeignKeyConstraint(["perk_id"], ["perks.id"], name=op.f("fk_vouchers_perk_id_perks")),
        sa.ForeignKeyConstraint(["redeemed_by_id"], ["staff_users.id"], name=op.f("fk_vouchers_redeemed_by_id_staff_users")),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_vouchers_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
        sa.UniqueConstraint("nonce", name=op.f("uq_vouchers_nonce"))
    )
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.create_index("ix_vouchers_account_perk", ["account_id", "perk_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vouchers_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vouchers_perk_id"), ["perk_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vouchers_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "intercept_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("list_entry_id", sa.Integer(), nullable=False),
        sa.Column("list_type", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["check_id"], ["intercept_checks.id"], name=op.f("fk_intercept_hits_check_id_intercept_checks")),
        sa.ForeignKeyConstraint(["list_entry_id"], ["list_entries.id"], name=op.f("fk_intercept_hits_list_entry_id_list_entries")),
        sa.ForeignKeyConstraint(["subject_id"], ["subjects.id"], name=op.f("fk_intercept_hits_subject_id_subjects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intercept_hits"))
    )
    with op.batch_alter_table("intercept_hits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intercept_hits_check_id"), ["check_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_intercept_hits_subject_id"), ["subject_id"], unique=False)

    with op.batch_alter_table("list_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("linked_entry_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_list_entries_linked_entry_id"), ["linked_entry_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_list_entries_linked_entry_id_list_entries"), "list_entries", ["linked_entry_id"], ["id"])



def downgrade() -> None:
    with op.batch_alter_table("list_entries", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_list_entries_linked_entry_id_list_entries"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_list_entries_linked_entry_id"))
        batch_op.drop_column("linked_entry_id")

    with op.batch_alter_table("intercept_hits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intercept_hits_subject_id"))
        batch_op.drop_index(batch_op.f("ix_intercept_hits_check_id"))

    op.drop_table("intercept_hits")
    with op.batch_alter_table("vouchers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vouchers_subject_id"))
        batch_op.drop_index(batch_op.f("ix_vouchers_perk_id"))
        batch_op.drop_index(batch_op.f("ix_vouchers_merchant_id"))
        batch_op.drop_index("ix_vouchers_account_perk")

    op.drop_table("vouchers")
    with op.batch_alter_table("perks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_perks_provider_id"))

    op.drop_table("perks")
    with op.batch_alter_table("intercept_checks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intercept_checks_department_id"))
        batch_op.drop_index("ix_intercept_checks_at")

    op.drop_table("intercept_checks")
