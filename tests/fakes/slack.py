"""Moved to `sandbox.fakes.slack`; this keeps old imports working."""

from sandbox.fakes.slack import *  # noqa: F401,F403
from sandbox.fakes.slack import __all__  # noqa: F401
