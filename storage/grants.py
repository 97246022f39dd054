"""The grant store: each Slack user's Zoom tokens, encrypted, and the per-grant lock."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from .crypto import TokenCipher
from .db import Database
from .models import GRANT_ACTIVE, GRANT_NEEDS_RECONNECT, ZoomGrant


@dataclass(frozen=True)
class GrantRecord:
    """A decrypted snapshot of one grant. Tokens are None once the grant is dead."""

    id: int
    enterprise_id: str
    team_id: str
    slack_user_id: str
    zoom_user_id: str
    zoom_email: str
    status: str
    access_token: str | None
    refresh_token: str | None
    expires_at: datetime | None
    scopes: str
    created_at: datetime
    updated_at: datetime
    reconnect_notified_at: datetime | None

    @property
    def active(self) -> bool:
        return self.status == GRANT_ACTIVE and self.access_token is not None

    def __repr__(self) -> str:
        return (
            f"GrantRecord(id={self.id}, team_id={self.team_id!r}, slack_user_id={self.slack_user_id!r}, "
            f"status={self.status!r}, expires_at={self.expires_at})"
        )


@dataclass(frozen=True)
class NewTokens:
    access_token: str
    refresh_token: str
    expires_at: datetime
    scopes: str

    def __repr__(self) -> str:
        return f"NewTokens(expires_at={self.expires_at})"


class LockedGrant:
    """A grant row held under lock for the length of one transaction."""

    def __init__(self, session: Session, row: ZoomGrant, cipher: TokenCipher, now: datetime) -> None:
        self._session = session
        self._row = row
        self._cipher = cipher
        self._now = now
        self.record = _to_record(row, cipher)

    def save_tokens(self, tokens: NewTokens) -> GrantRecord:
        """Write the new tokens; they are committed when the lock is released."""
        row = self._row
        row.access_token_enc = self._cipher.encrypt(tokens.access_token)
        row.refresh_token_enc = self._cipher.encrypt(tokens.refresh_token)
        row.expires_at = tokens.expires_at
        row.scopes = tokens.scopes or row.scopes
        row.status = GRANT_ACTIVE
        row.updated_at = self._now
        row.last_refreshed_at = self._now
        row.refresh_failures = 0
        row.next_refresh_at = None
        self._session.flush()
        self.record = _to_record(row, self._cipher)
        return self.record

    def mark_needs_reconnect(self) -> GrantRecord:
        """Zoom refused the refresh token: keep who it was, drop the tokens."""
        row = self._row
        row.status = GRANT_NEEDS_RECONNECT
        row.access_token_enc = None
        row.refresh_token_enc = None
        row.expires_at = None
        row.updated_at = self._now
        self._session.flush()
        self.record = _to_record(row, self._cipher)
        return self.record

    @property
    def failures(self) -> int:
        return self._row.refresh_failures or 0

    def postpone(self, until: datetime) -> None:
        """A transient failure: let the sweep try again later."""
        self._row.refresh_failures = (self._row.refresh_failures or 0) + 1
        self._row.next_refresh_at = until
        self._session.flush()


class GrantStore:
    """Reads and writes grants. Arguments that identify a grant are keyword-only."""

    def __init__(self, db: Database, cipher: TokenCipher) -> None:
        self._db = db
        self._cipher = cipher
        self._locks: dict[int, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # -- reads -------------------------------------------------------------------------
    def find(self, *, team_id: str, user_id: str, enterprise_id: str = "") -> GrantRecord | None:
        with self._db.session() as session:
            row = session.scalar(_by_slack_user(enterprise_id, team_id, user_id))
            return _to_record(row, self._cipher) if row else None

    def get(self, grant_id: int) -> GrantRecord | None:
        with self._db.session() as session:
            row = session.get(ZoomGrant, grant_id)
            return _to_record(row, self._cipher) if row else None

    def find_by_zoom_user(self, *, zoom_user_id: str) -> list[GrantRecord]:
        with self._db.session() as session:
            rows = session.scalars(select(ZoomGrant).where(ZoomGrant.zoom_user_id == zoom_user_id))
            return [_to_record(row, self._cipher) for row in rows]

    def all_active(self) -> list[GrantRecord]:
        with self._db.session() as session:
            rows = session.scalars(select(ZoomGrant).where(ZoomGrant.status == GRANT_ACTIVE).order_by(ZoomGrant.id))
            return [_to_record(row, self._cipher) for row in rows]

    def due_for_refresh(self, *, expiring_before: datetime, now: datetime, limit: int = 1000) -> list[int]:
        """Ids of active grants whose access token expires before `expiring_before`."""
        with self._db.session() as session:
            query = (
                select(ZoomGrant.id)
                .where(ZoomGrant.status == GRANT_ACTIVE)
                .where(ZoomGrant.expires_at < expiring_before)
                .where((ZoomGrant.next_refresh_at.is_(None)) | (ZoomGrant.next_refresh_at <= now))
                .order_by(ZoomGrant.expires_at)
                .limit(limit)
            )
            return list(session.scalars(query))

    def check_decryptable(self) -> None:
        """Decrypt one stored token, so a wrong key fails at startup, not at a request."""
        with self._db.session() as session:
            sample = session.scalar(
                select(ZoomGrant.refresh_token_enc).where(ZoomGrant.refresh_token_enc.is_not(None)).limit(1)
            )
        if sample:
            self._cipher.decrypt(sample)

    def rotate_encryption(self, *, batch: int = 500) -> int:
        """Re-encrypt every stored token with the first key; returns how many rows changed."""
        changed = 0
        last_id = 0
        while True:
            with self._db.session() as session:
                rows = list(
                    session.scalars(
                        select(ZoomGrant).where(ZoomGrant.id > last_id).order_by(ZoomGrant.id).limit(batch).with_for_update()
                    )
                )
                if not rows:
                    return changed
                for row in rows:
                    if row.access_token_enc:
                        row.access_token_enc = self._cipher.rotate(row.access_token_enc)
                    if row.refresh_token_enc:
                        row.refresh_token_enc = self._cipher.rotate(row.refresh_token_enc)
                    changed += 1
                last_id = rows[-1].id

    def count_by_status(self) -> dict[str, int]:
        with self._db.session() as session:
            rows = session.execute(select(ZoomGrant.status, func.count(ZoomGrant.id)).group_by(ZoomGrant.status))
            return {status: int(count) for status, count in rows}

    def count(self) -> int:
        with self._db.session() as session:
            return int(session.scalar(select(func.count(ZoomGrant.id))) or 0)

    # -- writes ------------------------------------------------------------------------
    def save(
        self,
        *,
        team_id: str,
        user_id: str,
        enterprise_id: str = "",
        zoom_user_id: str,
        zoom_email: str,
        zoom_account_id: str,
        tokens: NewTokens,
        now: datetime,
    ) -> GrantRecord:
        """Store a fresh grant for this Slack user, replacing any earlier one."""
        with self._db.locking_session() as session:
            row = session.scalar(_by_slack_user(enterprise_id, team_id, user_id).with_for_update())
            if row is None:
                row = ZoomGrant(
                    enterprise_id=enterprise_id, team_id=team_id, slack_user_id=user_id, created_at=now
                )
                session.add(row)
            else:
                row.created_at = now  # a reconnect starts a new connection
            row.zoom_user_id = zoom_user_id
            row.zoom_email = zoom_email
            row.zoom_account_id = zoom_account_id
            row.status = GRANT_ACTIVE
            row.access_token_enc = self._cipher.encrypt(tokens.access_token)
            row.refresh_token_enc = self._cipher.encrypt(tokens.refresh_token)
            row.expires_at = tokens.expires_at
            row.scopes = tokens.scopes
            row.updated_at = now
            row.last_refreshed_at = now
            row.refresh_failures = 0
            row.next_refresh_at = None
            row.reconnect_notified_at = None
            session.flush()
            return _to_record(row, self._cipher)

    def delete(self, *, team_id: str, user_id: str, enterprise_id: str = "") -> GrantRecord | None:
        """Delete this Slack user's grant; returns what was deleted (to revoke it)."""
        with self._db.locking_session() as session:
            row = session.scalar(_by_slack_user(enterprise_id, team_id, user_id).with_for_update())
            if row is None:
                return None
            record = _to_record(row, self._cipher)
            session.delete(row)
            return record

    def delete_by_zoom_user(self, *, zoom_user_id: str) -> list[GrantRecord]:
        with self._db.locking_session() as session:
            rows = list(
                session.scalars(
                    select(ZoomGrant).where(ZoomGrant.zoom_user_id == zoom_user_id).with_for_update()
                )
            )
            records = [_to_record(row, self._cipher) for row in rows]
            for row in rows:
                session.delete(row)
            return records

    def delete_team(self, *, team_id: str, enterprise_id: str | None = None) -> int:
        with self._db.session() as session:
            query = delete(ZoomGrant).where(ZoomGrant.team_id == team_id)
            if enterprise_id is not None:
                query = query.where(ZoomGrant.enterprise_id == enterprise_id)
            return session.execute(query).rowcount or 0

    def claim_reconnect_notice(self, grant_id: int, *, now: datetime) -> bool:
        """True exactly once per dead grant: the caller should tell the user."""
        with self._db.session() as session:
            result = session.execute(
                update(ZoomGrant)
                .where(ZoomGrant.id == grant_id)
                .where(ZoomGrant.status == GRANT_NEEDS_RECONNECT)
                .where(ZoomGrant.reconnect_notified_at.is_(None))
                .values(reconnect_notified_at=now)
            )
            return (result.rowcount or 0) == 1

    @contextmanager
    def lock(self, grant_id: int, *, now: datetime, skip_locked: bool = False) -> Iterator[LockedGrant | None]:
        """Hold one grant exclusively, across threads and processes, for one transaction.

        Yields None when the grant is gone, or (with skip_locked) when someone else holds
        it. Changes made through the LockedGrant are committed before this returns.
        """
        local = self._local_lock(grant_id)
        if not local.acquire(blocking=not skip_locked):
            yield None
            return
        try:
            with self._db.locking_session() as session:
                query = select(ZoomGrant).where(ZoomGrant.id == grant_id)
                if not self._db.is_sqlite:
                    query = query.with_for_update(skip_locked=skip_locked)
                row = session.scalar(query)
                yield LockedGrant(session, row, self._cipher, now) if row is not None else None
        finally:
            local.release()

    def _local_lock(self, grant_id: int) -> threading.Lock:
        # Threads of one process queue here rather than on the database connection pool.
        with self._locks_guard:
            lock = self._locks.get(grant_id)
            if lock is None:
                lock = self._locks[grant_id] = threading.Lock()
            return lock


def _by_slack_user(enterprise_id: str, team_id: str, user_id: str):  # type: ignore[no-untyped-def]
    return (
        select(ZoomGrant)
        .where(ZoomGrant.enterprise_id == enterprise_id)
        .where(ZoomGrant.team_id == team_id)
        .where(ZoomGrant.slack_user_id == user_id)
    )


def _to_record(row: ZoomGrant, cipher: TokenCipher) -> GrantRecord:
    return GrantRecord(
        id=row.id,
        enterprise_id=row.enterprise_id,
        team_id=row.team_id,
        slack_user_id=row.slack_user_id,
        zoom_user_id=row.zoom_user_id,
        zoom_email=row.zoom_email,
        status=row.status,
        access_token=cipher.decrypt(row.access_token_enc) if row.access_token_enc else None,
        refresh_token=cipher.decrypt(row.refresh_token_enc) if row.refresh_token_enc else None,
        expires_at=row.expires_at,
        scopes=row.scopes,
        created_at=row.created_at,
        updated_at=row.updated_at,
        reconnect_notified_at=row.reconnect_notified_at,
    )
