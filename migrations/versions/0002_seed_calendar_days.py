"""seed the working-day calendar (calendar_days) from chinesecalendar

Every year the package knows (2004–2026 in chinesecalendar 1.11.0): each official holiday that
falls on a weekday (is_workday False) and each make-up working day on a weekend (调休上班,
is_workday True). Holidays on a weekend are not exceptions and are not stored. Later years are
entered by staff (``PUT /staff/v1/calendar/{date}``) or re-seeded with ``flask calendar sync``.

Revision ID: 0002
Revises: 0001
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SOURCE = "chinesecalendar"

# Frozen copy (a migration must not import app code): chinesecalendar's English names in Chinese.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}

calendar_days = sa.table(
    "calendar_days",
    sa.column("day", sa.Date()),
    sa.column("is_workday", sa.Boolean()),
    sa.column("name", sa.String(40)),
    sa.column("source", sa.String(20)),
    sa.column("updated_by_id", sa.Integer()),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def _rows(now: datetime) -> list[dict]:
    import chinese_calendar

    rows = []
    for day, label in sorted(chinese_calendar.holidays.items()):
        if day.weekday() < 5:
            name = HOLIDAY_NAMES.get(str(label), "法定节假日")
            rows.append(
                {
                    "day": day,
                    "is_workday": False,
                    "name": name,
                    "source": SOURCE,
                    "updated_by_id": None,
                    "updated_at": now,
                }
            )
    for day, label in sorted(chinese_calendar.workdays.items()):
        if day.weekday() >= 5:
            name = HOLIDAY_NAMES.get(str(label), "节假日") + "调休上班"
            rows.append(
                {
                    "day": day,
                    "is_workday": True,
                    "name": name,
                    "source": SOURCE,
                    "updated_by_id": None,
                    "updated_at": now,
                }
            )
    return rows


def upgrade() -> None:
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # the app stores UTC as naive values on SQLite
    op.bulk_insert(calendar_days, _rows(now))


def downgrade() -> None:
    op.execute(calendar_days.delete().where(calendar_days.c.source == SOURCE))
