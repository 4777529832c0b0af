"""The client library for ActivityWatch-compatible servers."""

from aw_client.client import ActivityWatchClient
from aw_client.errors import (
    ClientError,
    Forbidden,
    NotActivityWatch,
    NotFound,
    RateLimited,
    ServerError,
    ServerUnreachable,
    Unauthorized,
)
from aw_core.config import ConfigError
from aw_core.models import Event

__all__ = [
    "ActivityWatchClient",
    "ClientError",
    "ConfigError",
    "Event",
    "Forbidden",
    "NotActivityWatch",
    "NotFound",
    "RateLimited",
    "ServerError",
    "ServerUnreachable",
    "Unauthorized",
]
