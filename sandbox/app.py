"""`python bot.py sandbox`: the real bot, the stand-ins for Slack and Zoom, and the Slack-like
page, all on 127.0.0.1, with a throwaway database. Nothing in it reaches the network."""
from __future__ import annotations

import logging
import secrets
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Self

from cryptography.fernet import Fernet
from werkzeug.serving import BaseWSGIServer, make_server

from .client import create_client_app
from .fakes import FakeSlack, FakeZoom, SlackRequestSender
from .payloads import Person
from .seed import DEMO_USER_ID, DEMO_USER_NAME, TEAM_ID
from .workspace import Workspace

log = logging.getLogger("zoombot.sandbox")

HOST = "127.0.0.1"
DEFAULT_PORT = 3000


class _Later:
    """A WSGI app set after its server has bound a port (the bot's URL is part of its settings)."""

    def __init__(self) -> None:
        self.app: Callable[..., Any] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        assert self.app is not None, "the bot is still starting"
        return self.app(environ, start_response)


class _Served:
    """One WSGI app on a real socket, in a daemon thread."""

    def __init__(self, app: Callable[..., Any], port: int, name: str) -> None:
        if port:
            _check_free(port)  # werkzeug would print its own advice and exit the process
        self.server: BaseWSGIServer = make_server(HOST, port, app, threaded=True)
        self.url = f"http://{HOST}:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self.server.shutdown()
        self.server.server_close()


def _check_free(port: int) -> None:
    """Raise OSError (EADDRINUSE) if HOST:port cannot be bound."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself will
        probe.bind((HOST, port))
    finally:
        probe.close()


class Sandbox:
    """Everything `python bot.py sandbox` runs. `port` is the page's (0: any free port); the bot
    and the fakes always take free ports. Use `with Sandbox() as box:` or start()/stop()."""

    def __init__(self, *, port: int = DEFAULT_PORT, log_level: str = "INFO", start_scheduler: bool = True) -> None:
        self.port = port
        self.log_level = log_level
        self.start_scheduler = start_scheduler
        self.zoom: FakeZoom | None = None
        self.slack: FakeSlack | None = None
        self.runtime: Any = None
        self.workspace: Workspace | None = None
        self.url = ""
        self.bot_url = ""
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._bot: _Served | None = None
        self._page: _Served | None = None
        self._sender: SlackRequestSender | None = None

    def start(self) -> Self:
        from bot import create_runtime
        from settings import load_settings

        try:
            # The page's port first: if it is taken, fail before anything else starts.
            later_page = _Later()
            self._page = _Served(later_page, self.port, "sandbox-page")
            self._dir = tempfile.TemporaryDirectory(prefix="zoombot-sandbox-")
            data = Path(self._dir.name)
            signing_secret = secrets.token_hex(16)
            bot_token = "xoxb-sandbox-" + secrets.token_hex(12)
            client_id, client_secret = "sandbox-" + secrets.token_hex(6), secrets.token_hex(16)

            self.zoom = FakeZoom(client_id, client_secret).start()
            self.zoom.auto_consent = False  # show the consent page, with Allow and Deny
            self.slack = FakeSlack(bot_token, team_id=TEAM_ID).start()

            later_bot = _Later()
            self._bot = _Served(later_bot, 0, "sandbox-bot")
            self.bot_url = self._bot.url
            env = {
                "SLACK_BOT_TOKEN": bot_token,
                "SLACK_SIGNING_SECRET": signing_secret,
                "ZOOM_CLIENT_ID": client_id,
                "ZOOM_CLIENT_SECRET": client_secret,
                "PUBLIC_URL": self.bot_url,
                "DATABASE_URL": f"sqlite:///{data / 'zoombot.db'}",
                "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode("ascii"),
                "ZOOM_OAUTH_URL": self.zoom.oauth_url,
                "ZOOM_API_URL": self.zoom.api_url,
                "SLACK_API_URL": self.slack.api_url,
                "LOG_LEVEL": self.log_level,
                "WEB_THREADS": "8",
                "WORKER_THREADS": "8",
            }
            settings = load_settings(env, env_file=data / "no.env")  # never the developer's .env
            self.runtime = create_runtime(settings, start_scheduler=self.start_scheduler)
            later_bot.app = self.runtime.web
            self._bot.start()

            self._sender = SlackRequestSender(self.bot_url, signing_secret, self.slack)
            person = Person(user_id=DEMO_USER_ID, user_name=DEMO_USER_NAME, team_id=TEAM_ID)
            self.workspace = Workspace(zoom=self.zoom, slack=self.slack, sender=self._sender,
                                       services=self.runtime.services, person=person)
            later_page.app = create_client_app(self.workspace)
            self.url = self._page.url + "/"
            self._page.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop everything started, in reverse order. Safe to call twice."""
        page, bot, sender, runtime = self._page, self._bot, self._sender, self.runtime
        self._page = self._bot = self._sender = self.runtime = None
        for step in (
            page.stop if page else None,
            bot.stop if bot else None,
            sender.close if sender else None,
            runtime.close if runtime else None,
            self.slack.stop if self.slack else None,
            self.zoom.stop if self.zoom else None,
            self._dir.cleanup if self._dir else None,
        ):
            if step is None:
                continue
            try:
                step()
            except Exception:
                log.exception("sandbox: error while stopping")
        self._dir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def run(*, port: int = DEFAULT_PORT, log_level: str = "INFO") -> int:
    """Start the sandbox, print its one URL, serve until Ctrl-C (or SIGTERM)."""
    from services.logs import configure_logging

    configure_logging(log_level, secrets=[], fmt="text")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per poll of the page
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # no lines for every minute's jobs
    try:
        sandbox = Sandbox(port=port, log_level=log_level).start()
    except OSError as exc:
        print(f"zoombot: the sandbox cannot listen on {HOST}:{port} ({exc.strerror or exc}); "
              "try another --port, or --port 0 for any free one", file=sys.stderr)
        return 2
    # Now the throwaway secrets exist: keep them out of the terminal like the bot's own.
    configure_logging(log_level, secrets=sandbox.runtime.settings.secrets, fmt="text")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"zoombot sandbox: open {sandbox.url}  (Ctrl-C stops it)", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sandbox.stop()
    return 0
