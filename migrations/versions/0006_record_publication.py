"""credit_records.publication and publication_basis: 轻微 information is in principle not published

国家发展改革委令2025年第36号 and 国办发〔2025〕22号: 轻微失信信息 原则上不予公示 (``withheld``); a
department that publishes one by exception records its basis (``publication_basis``), and then
for at most 3 months. 总局令第107号: a market-regulation 警告 is not published (``never``).
Existing rows decided under those rules are marked here; rows decided before a change of rules
are brought to the more favourable rule by the nightly expiry job (backend.records.publicity).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("credit_records", sa.Column("publication", sa.String(length=10), nullable=False,
                                              server_default="public"))
    op.add_column("credit_records", sa.Column("publication_basis", sa.Text(), nullable=True))
    op.execute(
        "UPDATE credit_records SET publication = 'withheld' WHERE severity = 'minor' AND polarity = 'negative' "
        "AND kind NOT IN ('judgment_defaulter', 'false_litigant') AND decision_date >= '2026-04-01' "
        "AND department_id NOT IN (SELECT id FROM departments WHERE name LIKE '%市场监督管理%' "
        "OR short_name LIKE '%市场监管%')"
    )
    op.execute(
        "UPDATE credit_records SET publication = 'never' WHERE kind = 'admin_penalty' "
        "AND (amount_yuan IS NULL OR amount_yuan = 0) AND (title LIKE '%警告%' OR summary LIKE '%警告%') "
        "AND decision_date >= '2025-12-25' AND department_id IN (SELECT id FROM departments "
        "WHERE name LIKE '%市场监督管理%' OR short_name LIKE '%市场监管%')"
    )


def downgrade() -> None:
    with op.batch_alter_table("credit_records") as batch:
        batch.drop_column("publication_basis")
        batch.drop_column("publication")
