"""Encryption at rest for the leader's free text: AES-256-GCM under a ring of keys.

A stored value is text, so it fits a TEXT column on SQLite and PostgreSQL alike:

    gce1:<key id, 8 hex digits>:<base64url of nonce (12 bytes) + ciphertext + tag (16 bytes)>

The key id sits in clear text so key rotation can find, with a plain `NOT LIKE` in SQL,
the rows not yet under the current key. The associated data binds a value to its
table and column (and to the header), so a ciphertext copied into another column
fails to decrypt instead of reading as that column's text.

Values written before encryption was switched on have no header; they read back as
they are, so an existing database keeps working until `rotate` has re-encrypted it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

PREFIX = "gce1:"  # "grow-coach encrypted", format version 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID_HEX = 8
_HEADER = re.compile(rf"^{PREFIX}([0-9a-f]{{{KEY_ID_HEX}}}):")


class EncryptionError(Exception):
    """A stored value cannot be decrypted, or no key is set up. Never carries key or text."""


class KeyringNotSet(EncryptionError):
    pass


class DecryptionFailed(EncryptionError):
    pass


class UnknownKey(DecryptionFailed):
    pass


class InvalidKey(EncryptionError):
    pass


def key_id_of(key: bytes) -> str:
    # Keyed with the key itself, so the id says nothing about the key but still tells
    # keys apart; 32 bits are plenty to tell the handful of keys in a ring apart.
    return hmac.new(key, b"grow-coach key id", hashlib.sha256).hexdigest()[:KEY_ID_HEX]


def generate_key() -> str:
    """A new random key in the text form the configuration takes."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_key(text: str, what: str = "the encryption key") -> bytes:
    """Decode a base64 key; the error names `what`, never the value."""
    cleaned = text.strip()
    try:
        # Either alphabet: keys pasted from `openssl rand -base64 32` or from urlsafe tools.
        key = base64.b64decode(cleaned.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise InvalidKey(
            f"{what} must be {KEY_BYTES} random bytes written in base64 (44 characters, "
            "e.g. from `grow-coach keys new` or `openssl rand -base64 32`); "
            "the configured value is not"
        )
    return key


def is_encrypted(value: str) -> bool:
    return _HEADER.match(value) is not None


def stored_key_id(value: str) -> str | None:
    """The id of the key a stored value is under, or None for legacy plain text."""
    match = _HEADER.match(value)
    return match.group(1) if match else None


@dataclass(frozen=True)
class Key:
    id: str
    cipher: AESGCM = field(repr=False)

    @classmethod
    def from_bytes(cls, key: bytes) -> Key:
        if len(key) != KEY_BYTES:
            raise InvalidKey(f"an encryption key must be {KEY_BYTES} bytes")
        return cls(key_id_of(key), AESGCM(key))


class KeyRing:
    """The current key (encrypts) and older keys (still decrypt, until rotation is done)."""

    def __init__(self, current: bytes, old: Iterable[bytes] = ()) -> None:
        self.current = Key.from_bytes(current)
        self._keys: dict[str, Key] = {self.current.id: self.current}
        for raw in old:
            key = Key.from_bytes(raw)
            # The same key listed twice (say, the new key also among the old ones while
            # an operator edits the configuration) is harmless: it is kept once.
            self._keys.setdefault(key.id, key)
        self._header = f"{PREFIX}{self.current.id}:"

    @property
    def key_ids(self) -> list[str]:
        """Current first, then the old ones: what an operator may list in the log."""
        return list(self._keys)

    @property
    def current_header(self) -> str:
        """The text every value under the current key starts with."""
        return self._header

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.current.cipher.encrypt(nonce, plaintext.encode("utf-8"), _aad(self._header, context))
        return self._header + base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")

    def decrypt(self, stored: str, context: str) -> str:
        """The plain text of a stored value; legacy plain text comes back unchanged."""
        match = _HEADER.match(stored)
        if match is None:
            return stored
        key_id = match.group(1)
        key = self._keys.get(key_id)
        if key is None:
            raise UnknownKey(
                f"a value in {context} is encrypted under key {key_id}, which is not configured; "
                "add it to [privacy] old_encryption_keys"
            )
        header_end = match.end()
        body = stored[header_end:]
        try:
            blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise DecryptionFailed(f"a value in {context} is damaged (not valid base64)") from None
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionFailed(f"a value in {context} is damaged (too short)")
        try:
            nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
            plain = key.cipher.decrypt(nonce, sealed, _aad(stored[:header_end], context))
        except InvalidTag:
            # from None: nothing of the value travels with the error into a log.
            raise DecryptionFailed(
                f"a value in {context} failed authentication: it was altered, or belongs to another column"
            ) from None
        return plain.decode("utf-8")

    def needs_rotation(self, stored: str) -> bool:
        return not stored.startswith(self._header)

    def __repr__(self) -> str:
        return f"KeyRing(current={self.current.id!r}, keys={self.key_ids!r})"


def _aad(header: str, context: str) -> bytes:
    return f"{header}{context}".encode()


# Process-wide, because the column types below are built when storage.models is
# imported, long before the configuration (and so the key) is read. Each process -
# the bot's service children, the CLI - sets it once at start-up, before any query.
_keyring: KeyRing | None = None


def set_keyring(keyring: KeyRing | None) -> None:
    global _keyring
    _keyring = keyring


def installed_keyring() -> KeyRing | None:
    return _keyring


def current_keyring() -> KeyRing:
    if _keyring is None:
        raise KeyringNotSet(
            "no encryption key is set up in this process: call storage.encryption.set_keyring at start-up"
        )
    return _keyring


class EncryptedText(TypeDecorator[str]):
    """A TEXT column whose values are stored encrypted; `context` is "table.column".

    Encrypted values differ on every write, so such a column cannot be searched,
    compared or indexed in SQL; it is only ever read back whole.
    """

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if not value:
            return value
        return current_keyring().encrypt(value, self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if not value:
            return value
        return current_keyring().decrypt(value, self.context)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document stored encrypted in a TEXT column (e.g. a conversation's
    variables, which repeat the leader's goal and action)."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return current_keyring().encrypt(json.dumps(value, ensure_ascii=False), self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(current_keyring().decrypt(value, self.context))
