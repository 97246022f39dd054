"""Tokens at rest: Fernet with key rotation (MultiFernet).

The first key encrypts; every key decrypts, so a new key can be put in front and the
old ones dropped after `python bot.py rotate-key` has re-encrypted every row.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class EncryptionKeyError(Exception):
    """A key is malformed or cannot decrypt what the database holds. Never shows the key."""


class TokenCipher:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise EncryptionKeyError("TOKEN_ENCRYPTION_KEY is empty")
        fernets = []
        for index, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip().encode("ascii")))
            except (ValueError, TypeError, UnicodeEncodeError):
                raise EncryptionKeyError(
                    f"TOKEN_ENCRYPTION_KEY: key number {index} is not a valid Fernet key "
                    "(32 url-safe base64-encoded bytes; make one with: python bot.py generate-key)"
                ) from None
        self._multi = MultiFernet(fernets)

    def encrypt(self, plaintext: str) -> str:
        return self._multi.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._multi.decrypt(ciphertext.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise EncryptionKeyError(
                "a stored token cannot be decrypted with any key in TOKEN_ENCRYPTION_KEY"
            ) from None

    def encrypt_at(self, plaintext: str, *, now: datetime) -> str:
        """Encrypt with `now` as the token's timestamp (for decrypt_fresh)."""
        return self._multi.encrypt_at_time(plaintext.encode("utf-8"), int(now.timestamp())).decode("ascii")

    def decrypt_fresh(self, ciphertext: str, *, ttl: timedelta, now: datetime) -> str:
        """Decrypt a token made by encrypt() no more than `ttl` before `now`."""
        try:
            return self._multi.decrypt_at_time(
                ciphertext.encode("ascii"), ttl=int(ttl.total_seconds()), current_time=int(now.timestamp())
            ).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            raise EncryptionKeyError("the token is invalid or expired") from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt with the first key (no-op in meaning, new ciphertext)."""
        try:
            return self._multi.rotate(ciphertext.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise EncryptionKeyError(
                "a stored token cannot be decrypted with any key in TOKEN_ENCRYPTION_KEY"
            ) from None

    def __repr__(self) -> str:
        return "TokenCipher(<keys hidden>)"
