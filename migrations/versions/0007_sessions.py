"""login sessions (登录会话): one row per login, named by its tokens, ended by logout and the rest

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

END_REASONS = ("logout", "ended_by_owner", "refresh_reused", "account_disabled", "identity_changed",
               "staff_deactivated", "password_changed")


def upgrade() -> None:
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("device", sa.String(length=40), nullable=False),
        sa.Column("ip_prefix", sa.String(length=48), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.Enum(*END_REASONS, name="endreason", native_enum=False, length=20), nullable=True),
        sa.CheckConstraint("(account_id IS NULL) <> (staff_user_id IS NULL)", name=op.f("ck_auth_sessions_one_owner")),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_auth_sessions_account_id_accounts")),
        sa.ForeignKeyConstraint(["staff_user_id"], ["staff_users.id"],
                                name=op.f("fk_auth_sessions_staff_user_id_staff_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
    )
    op.create_index("ix_auth_sessions_account_ended", "auth_sessions", ["account_id", "ended_at"], unique=False)
    op.create_index("ix_auth_sessions_staff_ended", "auth_sessions", ["staff_user_id", "ended_at"], unique=False)
    # Refresh tokens issued before sessions keep session_id NULL: their next refresh starts one.
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_refresh_tokens_session_id_auth_sessions"), "auth_sessions",
                                 ["session_id"], ["id"])
        batch.create_index(op.f("ix_refresh_tokens_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens") as batch:
        batch.drop_index(op.f("ix_refresh_tokens_session_id"))
        batch.drop_constraint(op.f("fk_refresh_tokens_session_id_auth_sessions"), type_="foreignkey")
        batch.drop_column("session_id")
    op.drop_index("ix_auth_sessions_staff_ended", table_name="auth_sessions")
    op.drop_index("ix_auth_sessions_account_ended", table_name="auth_sessions")
    op.drop_table("auth_sessions")
