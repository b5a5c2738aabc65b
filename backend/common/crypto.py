"""Personal data at rest: AES-256-GCM with rotating keys, and a keyed HMAC blind index.

Ciphertext is stored as ``<key id>$<base64(nonce | ciphertext | tag)>`` so old rows stay readable
after a new key becomes active (``flask pii rotate`` re-encrypts them). The column's purpose (for
example ``person.id_number``) is the GCM associated data: a value copied into another column does
not decrypt. Exact-match lookup uses ``blind_index(purpose, value)`` — HMAC-SHA256 under a separate
key — never the plaintext.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String
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
            raise PIIError(f"unknown PII key id {kid!r}")
        blob = base64.b64decode(b64)
        try:
            return AESGCM(self.keys[kid]).decrypt(blob[:12], blob[12:], purpose.encode()).decode()
        except InvalidTag as exc:
            raise PIIError("PII ciphertext failed authentication") from exc

    def key_id_of(self, stored: str) -> str:
        return stored.partition("$")[0]

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


class EncryptedString(TypeDecorator):
    """A text column whose value is encrypted before it reaches the database."""

    impl = String(255)
    cache_ok = True

    def __init__(self, purpose: str, length: int = 255) -> None:
        super().__init__(length)
        self.purpose = purpose

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return keyring().encrypt(self.purpose, str(value))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return keyring().decrypt(self.purpose, value)


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
