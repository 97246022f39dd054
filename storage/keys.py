"""Where the token encryption keys come from.

TOKEN_ENCRYPTION_KEY wins. With SQLite and no key, a key is made once and kept in a
file beside the database (mode 0600), so a laptop setup needs no extra step. Any other
database needs the setting: a key kept on one replica's disk would strand the others.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from .crypto import EncryptionKeyError

log = logging.getLogger(__name__)


def key_file_for(database_url: str) -> Path | None:
    """The key file beside a SQLite database file; None for other databases and :memory:."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database + ".key")


def resolve_keys(setting: str | None, database_url: str) -> list[str]:
    """The Fernet keys to use, first one encrypting. Raises EncryptionKeyError."""
    if setting:
        keys = [key.strip() for key in setting.split(",") if key.strip()]
        if keys:
            return keys
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise EncryptionKeyError(
            "TOKEN_ENCRYPTION_KEY is required with a database other than SQLite "
            "(make one with: python bot.py generate-key)"
        )
    path = key_file_for(database_url)
    if path is None:  # an in-memory database lives as long as the process: so may its key
        return [Fernet.generate_key().decode("ascii")]
    if path.exists():
        return [path.read_text(encoding="ascii").strip()]
    key = Fernet.generate_key().decode("ascii")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside, then linked into place: several workers starting at once agree on
    # one key, and nobody ever reads a half-written file.
    draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        return [path.read_text(encoding="ascii").strip()]
    finally:
        draft.unlink(missing_ok=True)
    log.warning(
        "created a token encryption key in %s (mode 0600). Back it up with the database: "
        "without it the stored Zoom tokens cannot be read. Set TOKEN_ENCRYPTION_KEY to manage it yourself.",
        path,
    )
    return [key]
