"""Login sessions (登录会话): one row per login; the bearer token names it, the row decides.

A session belongs to a mini-program account or to a staff user (exactly one of the two). It ends
(``ended_at`` set, with a reason) on logout, refresh-token reuse, an account disabled or re-bound,
a staff deactivation or password change, or when its owner ends it from the session list. A token
whose session has ended is refused on the very next request.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backend.platform.db import Base, enum_col, utcnow


class EndReason(StrEnum):
    LOGOUT = "logout"  # 退出登录
    ENDED_BY_OWNER = "ended_by_owner"  # 本人在会话列表中结束
    REFRESH_REUSED = "refresh_reused"  # 刷新凭证被重复使用（疑似被盗）
    ACCOUNT_DISABLED = "account_disabled"  # 账号停用
    IDENTITY_CHANGED = "identity_changed"  # 实名解绑或改绑
    STAFF_DEACTIVATED = "staff_deactivated"  # 工作人员账号停用
    PASSWORD_CHANGED = "password_changed"  # 修改或重置密码


class AuthSession(Base):
    __tablename__ = "auth_sessions"
    __table_args__ = (
        Index("ix_auth_sessions_account_ended", "account_id", "ended_at"),
        Index("ix_auth_sessions_staff_ended", "staff_user_id", "ended_at"),
        CheckConstraint("(account_id IS NULL) <> (staff_user_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # Coarse client facts for the session list: never the token, never the full address.
    device: Mapped[str] = mapped_column(String(40), default="未知设备")
    ip_prefix: Mapped[str | None] = mapped_column(String(48))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    refreshed_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[EndReason | None] = mapped_column(enum_col(EndReason, 20))
