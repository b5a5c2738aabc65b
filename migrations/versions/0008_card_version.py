"""subjects.card_version: the version the card cache keys on, kept by the database

The cached 信用名片 is valid only under the version it was assembled at. The version is bumped in
the same transaction as every change that affects the card (``backend.subjects.changes``), so a
key-value store that loses its data (a Redis restart, failover or FLUSHDB) can only miss, never
serve a card older than the database.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subjects") as batch:
        batch.add_column(sa.Column("card_version", sa.Integer(), server_default=sa.text("0"), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("subjects") as batch:
        batch.drop_column("card_version")
