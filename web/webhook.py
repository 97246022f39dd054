"""POST /zoom/webhook: Zoom's event notifications (URL validation, app deauthorized).

Only on when ZOOM_WEBHOOK_SECRET_TOKEN is set; without it the path is a 404 like any
unknown one, so no unsigned event is ever accepted. Every request is checked in this
order: size, signature and timestamp (on the raw bytes), then the JSON.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from services.container import Services
from services.deauthorize import Deauthorizer
from zoom.webhook import (
    APP_DEAUTHORIZED,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    URL_VALIDATION,
    WebhookPayloadError,
    parse_event,
    url_validation_answer,
    verify,
)

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # Zoom's events are a few hundred bytes
_MAX_LOGGED = 100  # characters of an event name or user id that reach the log


def _error(message: str, status: int) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def _short(value: str) -> str:
    return value if len(value) <= _MAX_LOGGED else value[:_MAX_LOGGED] + "…"


def create_webhook_blueprint(services: Services) -> Blueprint:
    blueprint = Blueprint("zoom_webhook", __name__)
    deauthorizer = Deauthorizer(services.grants, services.notifier)

    @blueprint.post("/zoom/webhook")
    def zoom_webhook() -> tuple[Response, int]:
        secret = services.settings.zoom_webhook_secret_token
        if not secret:
            abort(404)  # the same answer as any unknown path

        # One byte over the limit: a stream without Content-Length stops quietly at the
        # maximum, so reading exactly MAX_BODY could not tell a full body from a cut one.
        request.max_content_length = MAX_BODY + 1
        try:
            body = request.get_data(cache=False)
        except RequestEntityTooLarge:
            return _error("payload too large", 413)
        if len(body) > MAX_BODY:
            return _error("payload too large", 413)

        if not verify(
            secret,
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER),
            body=body,
            now=services.clock().timestamp(),
        ):
            log.warning("refused a zoom webhook: missing or invalid signature, or stale timestamp")
            return _error("invalid signature", 401)

        try:
            envelope = parse_event(body)
        except WebhookPayloadError as exc:
            log.warning("refused a signed zoom webhook: %s", exc)
            return _error("malformed payload", 400)
        event: str = envelope["event"]
        payload: Any = envelope.get("payload")

        if event == URL_VALIDATION:
            plain_token = payload.get("plainToken") if isinstance(payload, dict) else None
            if not isinstance(plain_token, str) or not plain_token:
                log.warning("refused a zoom url validation without a plainToken")
                return _error("malformed payload", 400)
            log.info("zoom webhook %s", event)
            return jsonify(url_validation_answer(secret, plain_token)), 200

        if event == APP_DEAUTHORIZED:
            zoom_user_id = payload.get("user_id") if isinstance(payload, dict) else None
            if not isinstance(zoom_user_id, str) or not zoom_user_id:
                log.warning("refused a zoom %s without a user_id", event)
                return _error("malformed payload", 400)
            # Deleted before the answer (Zoom requires it); the DMs go out after it.
            deleted = deauthorizer.handle(zoom_user_id=zoom_user_id, notify_in=services.background)
            log.info("zoom webhook %s for zoom user %s: %d grant(s) deleted", event, _short(zoom_user_id), deleted)
            return jsonify({"status": "ok"}), 200

        log.info("zoom webhook %r ignored (not handled)", _short(event))
        return jsonify({"status": "ok"}), 200

    return blueprint
