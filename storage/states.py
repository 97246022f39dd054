"""The OAuth state store: single use, expiring, bound to the Slack user who asked."""
from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from .crypto import TokenCipher
from .db import Database
from .models import OAuthState


class StateCheck(enum.Enum):
    OK = "ok"
    UNKNOWN = "unknown"  # never issued by us (forged or mangled)
    EXPIRED = "expired"
    USED = "used"  # issued and already consumed: a replay


@dataclass(frozen=True)
class PendingAuthorization:
    enterprise_id: str
    team_id: str
    slack_user_id: str
    code_verifier: str

    def __repr__(self) -> str:
        return f"PendingAuthorization(team_id={self.team_id!r}, slack_user_id={self.slack_user_id!r})"


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8", "surrogatepass")).hexdigest()


class OAuthStateStore:
    def __init__(self, db: Database, cipher: TokenCipher, *, lifetime: timedelta) -> None:
        self._db = db
        self._cipher = cipher
        self._lifetime = lifetime

    def issue(
        self, *, team_id: str, user_id: str, code_verifier: str, now: datetime, enterprise_id: str = ""
    ) -> str:
        """Create a state for this Slack user and return it (it is stored only hashed)."""
        state = secrets.token_urlsafe(32)
        with self._db.session() as session:
            session.add(
                OAuthState(
                    state_hash=_hash(state),
                    enterprise_id=enterprise_id,
                    team_id=team_id,
                    slack_user_id=user_id,
                    verifier_enc=self._cipher.encrypt(code_verifier),
                    created_at=now,
                    expires_at=now + self._lifetime,
                )
            )
        return state

    def consume(self, state: str, *, now: datetime) -> tuple[StateCheck, PendingAuthorization | None]:
        """Use a state up. Only the first call for a live state gets OK and the pending data."""
        digest = _hash(state)
        with self._db.locking_session() as session:
            claimed = session.execute(
                update(OAuthState)
                .where(OAuthState.state_hash == digest)
                .where(OAuthState.consumed_at.is_(None))
                .values(consumed_at=now)
            ).rowcount
            row = session.scalar(select(OAuthState).where(OAuthState.state_hash == digest))
            if row is None:
                return StateCheck.UNKNOWN, None
            if not claimed:
                return StateCheck.USED, None
            verifier_enc = row.verifier_enc
            row.verifier_enc = ""  # the verifier is never needed again
            if row.expires_at <= now:
                return StateCheck.EXPIRED, None
            return StateCheck.OK, PendingAuthorization(
                enterprise_id=row.enterprise_id,
                team_id=row.team_id,
                slack_user_id=row.slack_user_id,
                code_verifier=self._cipher.decrypt(verifier_enc),
            )

    def purge_expired(self, *, now: datetime, grace: timedelta = timedelta(hours=1)) -> int:
        with self._db.session() as session:
            result = session.execute(delete(OAuthState).where(OAuthState.expires_at < now - grace))
            return result.rowcount or 0

    def rotate_encryption(self) -> int:
        with self._db.session() as session:
            rows = list(session.scalars(select(OAuthState).where(OAuthState.verifier_enc != "")))
            for row in rows:
                row.verifier_enc = self._cipher.rotate(row.verifier_enc)
            return len(rows)

    def delete_team(self, *, team_id: str) -> int:
        with self._db.session() as session:
            return session.execute(delete(OAuthState).where(OAuthState.team_id == team_id)).rowcount or 0
