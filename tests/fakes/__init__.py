"""The fakes live in `sandbox.fakes` (shared with the sandbox); this keeps old imports working."""

from sandbox.fakes import *  # noqa: F401,F403
from sandbox.fakes import __all__  # noqa: F401
