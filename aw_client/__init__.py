"""The client library for ActivityWatch-compatible servers."""

from aw_client.client import ActivityWatchClient
from aw_client.errors import (
    BadRequest,
    ClientError,
    Conflict,
    Forbidden,
    NotActivityWatch,
    NotFound,
    NoTimerRunning,
    RateLimited,
    ServerError,
    ServerUnreachable,
    Unauthorized,
)
from aw_client.timers import UNSET, Page, Project, Task, TimeEntry, UnexpectedAnswer
from aw_core.config import ConfigError
from aw_core.models import Event

__all__ = [
    "UNSET",
    "ActivityWatchClient",
    "BadRequest",
    "ClientError",
    "ConfigError",
    "Conflict",
    "Event",
    "Forbidden",
    "NoTimerRunning",
    "NotActivityWatch",
    "NotFound",
    "Page",
    "Project",
    "RateLimited",
    "ServerError",
    "ServerUnreachable",
    "Task",
    "TimeEntry",
    "Unauthorized",
    "UnexpectedAnswer",
]
