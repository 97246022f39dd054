"""Moved to `sandbox.fakes.zoom`; this keeps old imports working."""

from sandbox.fakes.zoom import *  # noqa: F401,F403
from sandbox.fakes.zoom import __all__  # noqa: F401
