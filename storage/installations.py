"""Slack installations (one per workspace) on our database, with the bot tokens encrypted.

slack_sdk's SQLAlchemyInstallationStore keeps tokens in clear text; this wraps it so that
every token is Fernet-encrypted on the way in and decrypted on the way out.
"""
from __future__ import annotations

import copy
from logging import Logger
from typing import Optional, TypeVar

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Engine

from .crypto import TokenCipher

TOKEN_FIELDS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")
T = TypeVar("T", Bot, Installation)


class EncryptedInstallationStore(InstallationStore):
    def __init__(self, inner: SQLAlchemyInstallationStore, cipher: TokenCipher) -> None:
        self._inner = inner
        self._cipher = cipher

    @property
    def logger(self) -> Logger:
        return self._inner.logger

    def _sealed(self, item: T) -> T:
        sealed = copy.copy(item)
        for name in TOKEN_FIELDS:
            value = getattr(sealed, name, None)
            if value:
                setattr(sealed, name, self._cipher.encrypt(value))
        return sealed

    def _opened(self, item: Optional[T]) -> Optional[T]:
        if item is None:
            return None
        opened = copy.copy(item)
        for name in TOKEN_FIELDS:
            value = getattr(opened, name, None)
            if value:
                setattr(opened, name, self._cipher.decrypt(value))
        return opened

    def save(self, installation: Installation) -> None:
        self._inner.save(self._sealed(installation))

    def save_bot(self, bot: Bot) -> None:
        self._inner.save_bot(self._sealed(bot))

    def find_bot(
        self, *, enterprise_id: Optional[str], team_id: Optional[str], is_enterprise_install: Optional[bool] = False
    ) -> Optional[Bot]:
        return self._opened(
            self._inner.find_bot(enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install)
        )

    def find_installation(
        self,
        *,
        enterprise_id: Optional[str],
        team_id: Optional[str],
        user_id: Optional[str] = None,
        is_enterprise_install: Optional[bool] = False,
    ) -> Optional[Installation]:
        return self._opened(
            self._inner.find_installation(
                enterprise_id=enterprise_id, team_id=team_id, user_id=user_id, is_enterprise_install=is_enterprise_install
            )
        )

    def delete_bot(self, *, enterprise_id: Optional[str], team_id: Optional[str]) -> None:
        self._inner.delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: Optional[str], team_id: Optional[str], user_id: Optional[str] = None
    ) -> None:
        self._inner.delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)

    def delete_all(self, *, enterprise_id: Optional[str], team_id: Optional[str]) -> None:
        self.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)


def slack_stores(*, client_id: str, engine: Engine, cipher: TokenCipher, state_lifetime_seconds: int = 600
                 ) -> tuple[SQLAlchemyInstallationStore, EncryptedInstallationStore, SQLAlchemyOAuthStateStore]:
    """slack_sdk's installation and OAuth state stores on our database (tokens encrypted)."""
    inner = SQLAlchemyInstallationStore(client_id=client_id, engine=engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=state_lifetime_seconds, engine=engine)
    return inner, EncryptedInstallationStore(inner, cipher), states
