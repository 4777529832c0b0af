"""One serving process per database: an OS lock on ``<dbpath>.lock``, held while serving.

Two servers on one database would each keep their own query cache and bucket-row cache and
answer stale results, so the second one refuses to start. The lock is an OS file lock (flock,
or msvcrt's region lock on Windows): the kernel releases it when the process ends, even by
SIGKILL, so a crashed server never leaves a stale lock behind. Only ``serve()`` takes it;
maintenance commands that open the same database while the server runs (backup, export) take
none and keep working.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


class DatabaseInUse(Exception):
    """Another server holds the database's lock."""


def lock_path(dbpath: Path) -> Path:
    return dbpath.with_name(dbpath.name + ".lock")


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False when another process holds it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        # flock, not lockf: a POSIX lock would be dropped when any descriptor of the file in
        # this process is closed.
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class ServerLock:
    """The lock of one database file; ``acquire`` raises DatabaseInUse naming the holder."""

    def __init__(self, dbpath: Path) -> None:
        self.dbpath = dbpath
        self.path = lock_path(dbpath)
        self._fd: int | None = None

    def acquire(self, port: int) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            holder = self._holder(fd)
            os.close(fd)
            raise DatabaseInUse(
                f"the database {self.dbpath} is in use by another aw-server ({holder})"
            )
        self._fd = fd
        self.record_port(port)

    def record_port(self, port: int) -> None:
        """Write this process's id and port into the lock file, for a refused second server."""
        if self._fd is None:
            return
        data = json.dumps({"pid": os.getpid(), "port": port}).encode()
        # the lock covers the file's first byte on Windows, so rewrite in place, never truncate
        # to nothing before the write
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.write(self._fd, data)
        os.ftruncate(self._fd, len(data))

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            info = json.loads(os.read(fd, 4096) or b"{}")
            return f"PID {int(info['pid'])}, port {int(info['port'])}"
        except (OSError, ValueError, KeyError, TypeError):
            # the holder has locked the file but not written it yet
            return "PID and port not known yet"

    def release(self) -> None:
        # The file stays: deleting it would let a third process lock a new file while a second
        # one still waits on the old one.
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
