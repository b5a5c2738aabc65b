"""Evaluations: the current firm grade (公共信用综合评价) or personal integrity score (个人诚信分) of
every subject, and the history of grade / band changes.

``explanation`` holds :meth:`backend.evaluation.engine.Result.to_dict` for ``as_of``. The set-based
batch (``flask credit recompute``) writes score and grade only and sets ``explanation`` to NULL:
NULL means *stale*, and ``services.get_evaluation`` rebuilds it on first read.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, utcnow


class Evaluation(Base):
    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_kind_grade", "kind", "grade"),)

    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # firm / person (SubjectKind value)
    score: Mapped[int]
    grade: Mapped[str] = mapped_column(String(20))  # A–D, or a person band key (good, excellent …)
    rules_version: Mapped[str] = mapped_column(String(40))
    as_of: Mapped[date]  # the day the score was computed for (decay depends on it)
    explanation: Mapped[dict | None] = mapped_column(JSON)  # NULL: stale, rebuilt on first read
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvaluationHistory(Base):
    """One row per grade / band change (not per score tick). The first evaluation is not a change."""

    __tablename__ = "evaluation_history"
    __table_args__ = (Index("ix_evaluation_history_subject_at", "subject_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    old_grade: Mapped[str | None] = mapped_column(String(20))
    new_grade: Mapped[str] = mapped_column(String(20))
    old_score: Mapped[int | None]
    new_score: Mapped[int]
    rules_version: Mapped[str] = mapped_column(String(40))
    cause: Mapped[str] = mapped_column(String(100), default="")  # "batch", "record.create:12" …
    at: Mapped[datetime] = mapped_column(default=utcnow)
