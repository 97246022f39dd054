"""Slack's requests into Bolt, with one fix to Bolt's form parsing.

Bolt (1.30) treats any form body that merely contains the text "payload" as an
interactivity payload, finds no `payload=` field, and drops the whole body: `/zoom payload`,
or a command from a channel named #payloads, would get a 404. A property test found it.
"""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Request, Response
from slack_bolt import App, BoltContext
from slack_bolt.adapter.flask.handler import to_bolt_request, to_flask_response
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context


def slack_request(request: Request) -> BoltRequest:
    bolt_request = to_bolt_request(request)
    raw = bolt_request.raw_body
    if not bolt_request.body and raw and not raw.lstrip().startswith("{"):
        form = dict(parse_qsl(raw, keep_blank_values=True))
        if form and "payload" not in form:
            bolt_request.body = form
            bolt_request.context = build_context(BoltContext({}), form)
    return bolt_request


def dispatch(app: App, request: Request) -> Response:
    return to_flask_response(app.dispatch(slack_request(request)))
