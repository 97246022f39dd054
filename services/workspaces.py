"""Which Slack bot token to use for which workspace.

One workspace: the SLACK_BOT_TOKEN. Any number: each workspace's own bot token, from the
installation Slack's OAuth stored when it added the app (slack_sdk's SQLAlchemy stores, on
our database, tokens encrypted). A workspace's token is only ever used for that workspace.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import InstallationStore

log = logging.getLogger(__name__)

BOT_SCOPES = ["commands", "chat:write", "im:write", "users:read", "im:history"]
MakeClient = Callable[[str | None], WebClient]


class UnknownWorkspace(LookupError):
    """No installation for this workspace (it never added the app, or removed it)."""


class Workspaces:
    def __init__(
        self,
        *,
        make_client: MakeClient,
        bot_token: str | None = None,
        installations: InstallationStore | None = None,
        oauth_settings: OAuthSettings | None = None,
        on_forget: Callable[[str, str], None] | None = None,
    ) -> None:
        self._make_client = make_client
        self._installations = installations
        self.oauth_settings = oauth_settings
        self._on_forget = on_forget
        # The app's own client: in distributed mode it has no token; Bolt adds each
        # request's workspace token to a copy of it.
        self.app_client = make_client(bot_token)
        self._clients: dict[tuple[str, str], WebClient] = {}
        self._guard = threading.Lock()

    @property
    def distributed(self) -> bool:
        return self._installations is not None

    def client_for(self, team_id: str, enterprise_id: str = "") -> WebClient:
        """A client holding the bot token of `team_id`'s installation."""
        if self._installations is None:
            return self.app_client
        key = (enterprise_id, team_id)
        with self._guard:
            cached = self._clients.get(key)
        if cached is not None:
            return cached
        bot = self._installations.find_bot(enterprise_id=enterprise_id or None, team_id=team_id)
        if bot is None and enterprise_id:  # an org-wide install covers every workspace of the org
            bot = self._installations.find_bot(enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True)
        if bot is None or not bot.bot_token:
            raise UnknownWorkspace(f"zoombot is not installed in workspace {team_id}")
        client = self._make_client(bot.bot_token)
        with self._guard:
            self._clients[key] = client
        return client

    def forget(self, *, team_id: str, enterprise_id: str = "") -> None:
        """The workspace removed the app: drop its installation and cached client."""
        with self._guard:
            self._clients.pop((enterprise_id, team_id), None)
        if self._installations is not None:
            self._installations.delete_bot(enterprise_id=enterprise_id or None, team_id=team_id)
            self._installations.delete_installation(enterprise_id=enterprise_id or None, team_id=team_id)


def oauth_settings_for(
    *, client_id: str, client_secret: str, public_url: str, authorization_url: str,
    installation_store: InstallationStore, state_store: object,
) -> OAuthSettings:
    return OAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=BOT_SCOPES,
        installation_store=installation_store,
        installation_store_bot_only=True,
        state_store=state_store,  # type: ignore[arg-type]
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
        redirect_uri=public_url + "/slack/oauth_redirect",
        authorization_url=authorization_url,
        install_page_rendering_enabled=False,  # /slack/install goes straight to Slack
    )
