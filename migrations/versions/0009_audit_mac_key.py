"""audit log: the key id of each row's HMAC (tamper-evident chain, issue 8 item 2)

Rows already written keep their plain SHA-256 link and no key id; new rows are HMAC-SHA256 under
the AUDIT_KEYS key named here.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("key_id")
