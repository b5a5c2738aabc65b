"""Who is acting: services take an explicit actor instead of reading Flask's ``g``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str  # "account" (mini-program / bot user), "staff", "system"
    id: int | None = None
    role: str | None = None  # staff role (backend.staff.models.Role value)
    department_id: int | None = None  # staff's organisation
    person_id: int | None = None  # account's bound person (实名), if any
    ip: str | None = None
    session_id: int | None = None  # the login session (backend.sessions) of a bearer-token actor

    @property
    def ref(self) -> str:
        return "system" if self.kind == "system" else f"{self.kind}:{self.id}"

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_account(self) -> bool:
        return self.kind == "account"


SYSTEM = Actor("system")
