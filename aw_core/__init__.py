"""Core data model and rules shared by the server, the query language and the client."""

from aw_core.heartbeat import heartbeat_merge, heartbeat_reduce
from aw_core.models import Event

__all__ = ["Event", "heartbeat_merge", "heartbeat_reduce"]
