"""The working-day calendar's table."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, utcnow


class CalendarDay(Base):
    """An exception to the Monday–Friday rule: a holiday on a weekday or a make-up working day
    (调休上班) on a weekend. Seeded from ``chinesecalendar``; staff edit later years."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_workday: Mapped[bool]
    name: Mapped[str] = mapped_column(String(40))  # 春节, 国庆节调休 …
    source: Mapped[str] = mapped_column(String(20), default="staff")  # chinesecalendar / staff
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
