"""Personal data at rest: AES-256-GCM with rotating keys, and a keyed HMAC blind index.

Ciphertext is stored as ``<key id>$<base64(nonce | ciphertext | tag)>`` so old rows stay readable
after a new key becomes active (``flask pii rotate`` re-encrypts them). The column's purpose (for
example ``person.id_number``) is the GCM associated data: a value copied into another column does
not decrypt. Exact-match lookup uses ``blind_index(purpose, value)`` — HMAC-SHA256 under a separate
key — never the plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, MetaData, String, Table, event
from sqlalchemy.engine import Dialect, Engine, ExceptionContext
from sqlalchemy.types import TypeDecorator


class PIIError(RuntimeError):
    """Ciphertext that cannot be read: unknown key id, tampering, or no keyring configured."""


@dataclass
class Keyring:
    keys: dict[str, bytes]
    active: str
    index_key: bytes

    def encrypt(self, purpose: str, plaintext: str) -> str:
        nonce = os.urandom(12)
        ct = AESGCM(self.keys[self.active]).encrypt(nonce, plaintext.encode(), purpose.encode())
        return f"{self.active}${base64.b64encode(nonce + ct).decode()}"

    def decrypt(self, purpose: str, stored: str) -> str:
        kid, sep, b64 = stored.partition("$")
        if not sep or kid not in self.keys:
            # Never echo ``stored``: a plaintext value written around the ORM would land in the log.
            raise PIIError("unknown PII key id" if sep else "PII value is not in the encrypted format")
        try:
            blob = base64.b64decode(b64, validate=True)
            if len(blob) < 12 + 16:
                raise PIIError("PII ciphertext is truncated")
            return AESGCM(self.keys[kid]).decrypt(blob[:12], blob[12:], purpose.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise PIIError("PII ciphertext failed authentication") from exc

    def key_id_of(self, stored: str) -> str:
        return stored.partition("$")[0]

    def is_current(self, stored: str) -> bool:
        """Is this ciphertext under the active key (nothing for ``flask pii rotate`` to do)?"""
        return self.key_id_of(stored) == self.active

    def reencrypt(self, purpose: str, stored: str) -> str:
        """The same plaintext under the active key (a fresh nonce)."""
        return self.encrypt(purpose, self.decrypt(purpose, stored))

    def blind_index(self, purpose: str, value: str) -> str:
        return hmac.new(self.index_key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


_keyring: Keyring | None = None


def configure(keys: dict[str, bytes], active: str, index_key: bytes) -> Keyring:
    """Install the process keyring (called by ``create_app`` and by bulk loaders)."""
    global _keyring
    _keyring = Keyring(dict(keys), active, index_key)
    return _keyring


def keyring() -> Keyring:
    if _keyring is None:
        raise PIIError("PII keyring is not configured; create the app first")
    return _keyring


def blind_index(purpose: str, value: str) -> str:
    return keyring().blind_index(purpose, value)


class EncryptedString(TypeDecorator[str]):
    """A text column whose value is encrypted before it reaches the database."""

    impl = String(255)
    cache_ok = True

    def __init__(self, purpose: str, length: int = 255) -> None:
        super().__init__(length)
        self.purpose = purpose

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        stored = keyring().encrypt(self.purpose, str(value))
        if self.impl.length and len(stored) > self.impl.length:
            # SQLite would keep it and PostgreSQL refuse it: fail the same way everywhere.
            # Services bound their inputs (see ``max_plaintext_bytes``) so users never get here.
            raise PIIError(f"encrypted value for {self.purpose} exceeds the column length")
        return stored

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring().decrypt(self.purpose, value)


@event.listens_for(Engine, "handle_error")
def _hide_statement_parameters(ctx: ExceptionContext) -> None:
    """Keep bound parameters out of SQL error messages, on every engine.

    When a bind processor fails (a naive datetime, a value too long to encrypt …), SQLAlchemy puts
    the row's *unprocessed* parameters — plaintext ID numbers and names — into the exception text,
    which the 500 handler logs. The statement itself stays in the message; the values do not.
    """
    if ctx.sqlalchemy_exception is not None:
        ctx.sqlalchemy_exception.hide_parameters = True


def max_plaintext_bytes(column_length: int = 255, key_id_length: int = 16) -> int:
    """The longest UTF-8 plaintext whose ciphertext fits an ``EncryptedString(column_length)``."""
    b64_chars = (column_length - key_id_length - 1) // 4 * 4
    return b64_chars // 4 * 3 - 12 - 16


def encrypted_columns(metadata: MetaData) -> list[tuple[Table, Column[Any]]]:
    """Every ``(table, column)`` of ``metadata`` stored as :class:`EncryptedString`."""
    return [
        (table, column)
        for table in metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedString)
    ]


# --- masking: every response shows these unless the viewer is the owner ------------------


def mask_id_number(number: str | None) -> str | None:
    """``320803199001011234`` → ``320803********1234``."""
    if not number:
        return number
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_name(name: str | None) -> str | None:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``."""
    if not name:
        return name
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str | None) -> str | None:
    """``13812345678`` → ``138****5678``."""
    if not phone:
        return phone
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
