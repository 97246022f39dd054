"""Zoom's webhook (event notification) rules: signatures, URL validation, the envelope.

Pure functions over bytes and strings: no Flask, no Slack, no database. The caller reads
the raw body and the two headers (``x-zm-request-timestamp``, ``x-zm-signature``) and
passes them here unchanged.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

TIMESTAMP_HEADER = "x-zm-request-timestamp"
SIGNATURE_HEADER = "x-zm-signature"
URL_VALIDATION = "endpoint.url_validation"
APP_DEAUTHORIZED = "app_deauthorized"

DEFAULT_TOLERANCE = 300.0  # seconds either way, like Slack's 5-minute rule
_MS_THRESHOLD = 10**11  # above this an epoch value is in milliseconds (10**11 s is the year 5138)
_DIGITS = re.compile(r"[0-9]{1,20}")


class WebhookPayloadError(ValueError):
    """The (correctly signed) body is not a Zoom event envelope."""


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    """``x-zm-signature`` for a raw body: ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    return "v0=" + _hmac_hex(secret, b"v0:" + timestamp.encode("ascii") + b":" + body)


def timestamp_seconds(timestamp: str) -> float | None:
    """The header's epoch value in seconds (Zoom sends milliseconds), or None if not an integer."""
    if not _DIGITS.fullmatch(timestamp):
        return None
    value = int(timestamp)
    return value / 1000 if value > _MS_THRESHOLD else float(value)


def verify(
    secret: str,
    *,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE,
) -> bool:
    """True only for a fresh request signed with `secret`; every other case is False."""
    if not secret or not timestamp or not signature:
        return False
    sent_at = timestamp_seconds(timestamp)
    if sent_at is None or abs(now - sent_at) > tolerance:
        return False
    if not signature.isascii():
        return False
    return hmac.compare_digest(signature_for(secret, timestamp, body), signature)


def url_validation_answer(secret: str, plain_token: str) -> dict[str, str]:
    """The answer to ``endpoint.url_validation``: the token back, and its HMAC-SHA256."""
    return {"plainToken": plain_token, "encryptedToken": _hmac_hex(secret, plain_token.encode("utf-8"))}


def parse_event(body: bytes) -> dict[str, Any]:
    """The JSON envelope; raises WebhookPayloadError unless it is an object with an "event" string."""
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise WebhookPayloadError("the body is not JSON") from None
    if not isinstance(envelope, dict):
        raise WebhookPayloadError("the body is not a JSON object")
    event = envelope.get("event")
    if not isinstance(event, str) or not event:
        raise WebhookPayloadError('the body has no "event" string')
    return envelope
