"""The client library for ActivityWatch-compatible servers."""

from aw_client.client import ActivityWatchClient
from aw_client.errors import ClientError, NotActivityWatch, NotFound, ServerError, ServerUnreachable
from aw_core.config import ConfigError
from aw_core.models import Event

__all__ = [
    "ActivityWatchClient",
    "ClientError",
    "ConfigError",
    "Event",
    "NotActivityWatch",
    "NotFound",
    "ServerError",
    "ServerUnreachable",
]
