"""Moved to `sandbox.fakes.slack_signing`; this keeps old imports working."""

from sandbox.fakes.slack_signing import *  # noqa: F401,F403
from sandbox.fakes.slack_signing import __all__  # noqa: F401
