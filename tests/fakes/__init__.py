"""Fake Zoom and Slack servers for zoombot's tests."""

from .slack import FakeSlack
from .slack_signing import SlackRequestSender
from .zoom import FakeZoom, pkce_challenge

__all__ = ["FakeSlack", "FakeZoom", "SlackRequestSender", "pkce_challenge"]
