"""Identity verification (实名核验) for binding an account to a person: a pluggable verifier.

``IDENTITY_VERIFIER`` names the verifier: ``self_declared`` (the embedded default, 本人声明: it
accepts what the user typed and records the level ``self_declared``), or a dotted path
(``package.module.Class`` or ``package.module:Class``) to a class built without arguments whose
``verify(name, id_number)`` asks a real service (公安 citizen-ID check, a bank's four-element check …).

A verifier gets the normalised name and the validated 18-character ID number. It must not log
them. It answers with a :class:`VerificationResult`; it raises :class:`VerifierUnavailable` (or
anything else) when the service cannot answer, which the binding turns into a 503.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from functools import cache
from typing import Protocol, runtime_checkable

from backend.subjects.models import IdentityLevel

log = logging.getLogger(__name__)

SELF_DECLARED = "self_declared"


@dataclass(frozen=True)
class VerificationResult:
    level: IdentityLevel
    ok: bool
    reason: str | None = None  # a stable snake_case reason when ``ok`` is false


@runtime_checkable
class IdentityVerifier(Protocol):
    def verify(self, name: str, id_number: str) -> VerificationResult: ...


class VerifierUnavailable(RuntimeError):
    """The verification service cannot answer now (network, quota, configuration)."""


class SelfDeclaredVerifier:
    """本人声明: no outside check; the binding is recorded as self-declared."""

    is_self_declared = True

    def verify(self, name: str, id_number: str) -> VerificationResult:
        return VerificationResult(IdentityLevel.SELF_DECLARED, True)


@cache
def load_verifier(spec: str) -> IdentityVerifier:
    """The verifier named by ``IDENTITY_VERIFIER`` (cached per spec).

    Raises :class:`VerifierUnavailable` for a path that does not import or a class without ``verify``.
    """
    spec = (spec or SELF_DECLARED).strip()
    if spec == SELF_DECLARED:
        return SelfDeclaredVerifier()
    module_name, sep, attr = spec.partition(":")
    if not sep:
        module_name, _, attr = spec.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
        verifier = cls()
    except Exception as exc:  # a misconfiguration must not become a 500 for the user
        log.error("IDENTITY_VERIFIER %r cannot be loaded: %s", spec, type(exc).__name__)
        raise VerifierUnavailable(spec) from None
    if not isinstance(verifier, IdentityVerifier):
        log.error("IDENTITY_VERIFIER %r has no verify(name, id_number)", spec)
        raise VerifierUnavailable(spec)
    return verifier


def is_self_declared(verifier: IdentityVerifier) -> bool:
    return bool(getattr(verifier, "is_self_declared", False))
