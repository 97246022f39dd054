"""Logging setup, with a last line of defence that blanks secrets out of every record."""
from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

# Values that look like credentials even when we do not know them in advance.
_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)((?:access_token|refresh_token|code_verifier|client_secret|token|code)=)[^&\s'\"]+"),
    # OAuth states and connect links (Bolt logs replies at DEBUG, and they carry them).
    re.compile(r"([?&](?:state|t|code_challenge)=)[^&\s'\"]+"),
    re.compile(r"(?i)(\"(?:access_token|refresh_token|code_verifier|client_secret)\"\s*:\s*\")[^\"]+"),
    re.compile(r"(xox[abpers]-)[A-Za-z0-9-]+"),
]
REDACTED = "[redacted]"


class SecretRedactor(logging.Filter):
    """Replaces known secrets and token-shaped values in the final message."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        cleaned = self.redact(message)
        record.msg, record.args = cleaned, None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "team_id": getattr(record, "team_id", "-"),
            "user_id": getattr(record, "user_id", "-"),
        }
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry)


def configure_logging(level: str, *, secrets: Iterable[str] = (), fmt: str = "text") -> SecretRedactor:
    """Root logging to stderr, every record passed through the redactor."""
    redactor = SecretRedactor(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(redactor)
    handler.addFilter(ContextFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s %(team_id)s %(user_id)s] %(message)s")
        )
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # APScheduler logs every run of every job at INFO: once a minute, per job, per process.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return redactor


# -- who a log line is about ------------------------------------------------------------
_REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("zoombot_request_id", default="-")
_TEAM_ID: contextvars.ContextVar[str] = contextvars.ContextVar("zoombot_team_id", default="-")
_USER_ID: contextvars.ContextVar[str] = contextvars.ContextVar("zoombot_user_id", default="-")


def bind(*, request_id: str | None = None, team_id: str | None = None, user_id: str | None = None) -> str:
    """Name the request (and team and user) that the following log lines are about."""
    rid = request_id or uuid.uuid4().hex[:12]
    _REQUEST_ID.set(rid)
    _TEAM_ID.set(team_id or "-")
    _USER_ID.set(user_id or "-")
    return rid


def current_request_id() -> str | None:
    """The request the current log lines are about, to carry into work done elsewhere."""
    rid = _REQUEST_ID.get()
    return None if rid == "-" else rid


class ContextFilter(logging.Filter):
    """Adds request_id, team_id and user_id to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _REQUEST_ID.get()
        record.team_id = _TEAM_ID.get()
        record.user_id = _USER_ID.get()
        return True


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks keep the submitter's log context (request, team, user)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:  # type: ignore[override]
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)
