"""Report images: ``data:image/...`` URLs in, small verified pictures out, kept per device.

A reporter may send the cover of what is playing and the icon of its player as data URLs. They
are checked before any work is spent on them (at most 2 MiB of characters, a base64 data URL),
then identified by their bytes, never by the mime the URL claims: only PNG, JPEG, WebP and GIF
are decoded. A picture whose header declares more than ``MAX_PIXELS`` is refused before its
pixels are decoded (a decompression bomb: a few kilobytes that would expand to gigabytes), with
Pillow's own ``MAX_IMAGE_PIXELS`` check as a second line. The first frame of an animation is
kept, turned upright by its EXIF orientation, shrunk to fit ``MAX_SIDE`` x ``MAX_SIDE`` (aspect
kept, never enlarged) and re-encoded.

Re-encoding: a JPEG stays a JPEG (quality 85): covers are photos, and a PNG of album art is
several times bigger for no visible gain. Everything else becomes a PNG: lossless, keeps the
transparency icons rely on, and shown by every browser (a GIF or WebP source is one frame now).
What is stored is always bytes Pillow wrote from decoded pixels, without the sender's metadata
(EXIF, ICC profile, comments), so nothing the reporter smuggled into the file is ever served.

Pictures are content-addressed: ``hash`` is the first 16 hex digits of the SHA-256 of the stored
bytes, so the same picture sent again (by any device) is stored once. Each device keeps its
``keep`` most recently used pictures; a picture is deleted when no device uses it any more, so
one device's turnover never removes a cover another device is showing.

Writes (``put``, ``forget_device``) must run inside the caller's ``Storage.write`` transaction,
so the pictures and the report that carries them are committed together; reads run anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from PIL import Image, ImageOps

from aw_server.storage.sqlite import SqliteStorage

MAX_DATA_URL_CHARS = 2 * 1024 * 1024
MAX_SIDE = 256
# 4096 x 4096: far beyond any cover or icon, and it caps one decode at about 64 MB of pixels.
MAX_PIXELS = 4096 * 4096
KEEP_PER_DEVICE = 50
JPEG_QUALITY = 85
COVER_PATH = "/api/media/covers/"
CACHE_CONTROL = "public, max-age=31536000, immutable"

# The only Pillow readers ever run on a report's bytes.
_READERS = ["PNG", "JPEG", "WEBP", "GIF"]
# Pillow's format name -> the format the stored picture is written in. MPO is the multi-picture
# JPEG of phone cameras: Pillow's JPEG reader reports it under that name.
_STORED_AS = {"PNG": "PNG", "JPEG": "JPEG", "MPO": "JPEG", "WEBP": "PNG", "GIF": "PNG"}
_MIME = {"PNG": "image/png", "JPEG": "image/jpeg"}
_HASH = re.compile(r"[0-9a-f]{16}", re.ASCII)
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
# Decoding takes up to MAX_PIXELS of memory for a moment; two at a time bounds the peak.
_DECODE_SLOTS = threading.BoundedSemaphore(2)


class ImageError(ValueError):
    """An image a report cannot carry; the message is English, for the API's error body."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StoredImage:
    hash: str  # first 16 hex digits of the SHA-256 of ``data``
    mime: str  # image/png or image/jpeg
    data: bytes
    width: int
    height: int

    @property
    def url(self) -> str:
        return cover_url(self.hash)


def cover_url(digest: str) -> str:
    """The path the picture is served at (see ``cover_response``)."""
    return f"{COVER_PATH}{digest}"


# -- decoding ----------------------------------------------------------------------------------


def decode_image(data_url: object) -> StoredImage:
    """Turn a ``data:image/...;base64,`` URL into a verified, resized, re-encoded picture;
    ImageError for anything else."""
    raw = _payload(data_url)
    with _DECODE_SLOTS:
        image = _open(raw)
        stored_as = _STORED_AS[str(image.format)]
        picture = _render(image, stored_as)
    data = _encode(picture, stored_as)
    return StoredImage(
        hash=hashlib.sha256(data).hexdigest()[:16],
        mime=_MIME[stored_as],
        data=data,
        width=picture.width,
        height=picture.height,
    )


def _payload(data_url: object) -> bytes:
    """The bytes of the data URL, after the checks that cost nothing (size first)."""
    if not isinstance(data_url, str):
        raise ImageError("an image must be a data URL string")
    if len(data_url) > MAX_DATA_URL_CHARS:
        raise ImageError(
            f"image too large: a data URL may have at most {MAX_DATA_URL_CHARS:,} characters"
        )
    head, comma, text = data_url.partition(",")
    head = head.strip().lower()
    if not comma or not head.startswith("data:image/") or not head.endswith(";base64"):
        raise ImageError("an image must be a data:image/...;base64, URL")
    # line breaks are allowed, as MIME encoders insert them every 76 characters
    text = "".join(text.split())
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise ImageError("the image data URL is not valid base64") from exc
    if not raw:
        raise ImageError("the image data URL is empty")
    return raw


def _bomb(width: int, height: int) -> ImageError:
    return ImageError(
        f"image dimensions {width}x{height} are too large (at most {MAX_PIXELS:,} pixels)"
    )


def _open(raw: bytes) -> Image.Image:
    """Identify the bytes and read their header only; refuse other formats and huge sizes."""
    try:
        image = Image.open(io.BytesIO(raw), formats=_READERS)
    except Image.DecompressionBombError as exc:
        raise ImageError(f"image dimensions are too large (at most {MAX_PIXELS:,} pixels)") from exc
    except Image.UnidentifiedImageError as exc:
        raise ImageError("the image is not a PNG, JPEG, WebP or GIF file") from exc
    # a reader that knew the format failed on what follows (WebP's reads the whole file here);
    # Pillow's readers raise many kinds of errors on hostile bytes, and each is a bad image
    except Exception as exc:
        raise ImageError("the image is truncated or corrupt") from exc
    if image.format not in _STORED_AS:
        raise ImageError("the image is not a PNG, JPEG, WebP or GIF file")
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _bomb(width, height)
    return image


def _render(image: Image.Image, stored_as: str) -> Image.Image:
    """Decode the first frame and make it the picture to store: upright, 8-bit RGB(A), within
    MAX_SIDE x MAX_SIDE, without the sender's metadata."""
    alpha = stored_as == "PNG" and _has_alpha(image)
    # a JPEG decodes at 1/2 to 1/8 scale when that still leaves twice the size we keep
    image.draft("RGB", (MAX_SIDE * 2, MAX_SIDE * 2))
    try:
        image.load()
        picture = _eight_bit(image).convert("RGBA" if alpha else "RGB")
        picture.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        ImageOps.exif_transpose(picture, in_place=True)
    except Image.DecompressionBombError as exc:
        raise _bomb(*image.size) from exc
    except Exception as exc:  # truncated or corrupt data, whatever error Pillow finds it with
        raise ImageError("the image is truncated or corrupt") from exc
    picture.info.clear()
    return picture


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in _ALPHA_MODES or "transparency" in image.info


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit greyscale (PNG) scaled to 8 bits: a plain convert would clip it to white."""
    if image.mode.startswith("I"):
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    return image


def _encode(picture: Image.Image, stored_as: str) -> bytes:
    buffer = io.BytesIO()
    if stored_as == "JPEG":
        picture.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        picture.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


# -- storage -----------------------------------------------------------------------------------


class ImageStore(Protocol):
    def put(self, device_id: str, image: StoredImage, keep: int = KEEP_PER_DEVICE) -> None:
        """Store the picture (or find it stored) and mark it the device's most recently used;
        then forget the device's least recently used pictures beyond ``keep``. Inside the
        caller's Storage.write."""
        ...

    def get(self, digest: str) -> tuple[str, bytes] | None:
        """(mime, bytes) of the stored picture, or None."""
        ...

    def forget_device(self, device_id: str) -> None:
        """Forget every picture the device used (a deleted device). Inside Storage.write."""
        ...

    def count(self) -> int:
        """How many pictures are stored, each once."""
        ...


def _check_keep(keep: int) -> None:
    if keep < 1:
        raise ValueError(f"keep must be at least 1, not {keep}")


def _now_us() -> int:
    return time.time_ns() // 1000


def _create_tables(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE device_media (hash TEXT PRIMARY KEY, mime TEXT NOT NULL,"
        " data BLOB NOT NULL, created_us INTEGER NOT NULL)"
    )
    # which device uses which picture, and when it last did: the per-device LRU
    conn.execute(
        "CREATE TABLE device_media_uses (device_id TEXT NOT NULL, hash TEXT NOT NULL,"
        " last_used_us INTEGER NOT NULL, PRIMARY KEY (device_id, hash))"
    )
    conn.execute(
        "CREATE INDEX device_media_uses_lru ON device_media_uses (device_id, last_used_us)"
    )
    conn.execute("CREATE INDEX device_media_uses_hash ON device_media_uses (hash)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_create_tables]


class SqlBackend(Protocol):
    def connection(self) -> sqlite3.Connection: ...

    def migrate_part(
        self, part: str, migrations: Sequence[Callable[[sqlite3.Connection], None]]
    ) -> None: ...


class SqliteImageStore:
    def __init__(self, backend: SqlBackend) -> None:
        self.backend = backend
        backend.migrate_part("devices_media", MIGRATIONS)

    def _conn(self) -> sqlite3.Connection:
        return self.backend.connection()

    def put(self, device_id: str, image: StoredImage, keep: int = KEEP_PER_DEVICE) -> None:
        _check_keep(keep)
        conn = self._conn()
        now = _now_us()
        conn.execute(
            "INSERT INTO device_media (hash, mime, data, created_us) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (hash) DO NOTHING",
            (image.hash, image.mime, image.data, now),
        )
        # strictly after the device's newest use, so the order is the order of puts even when
        # the clock stands still or steps back
        newest = conn.execute(
            "SELECT max(last_used_us) FROM device_media_uses WHERE device_id = ?", (device_id,)
        ).fetchone()[0]
        stamp = now if newest is None else max(now, newest + 1)
        conn.execute(
            "INSERT INTO device_media_uses (device_id, hash, last_used_us) VALUES (?, ?, ?)"
            " ON CONFLICT (device_id, hash) DO UPDATE SET last_used_us = excluded.last_used_us",
            (device_id, image.hash, stamp),
        )
        stale = conn.execute(
            "SELECT hash FROM device_media_uses WHERE device_id = ?"
            " ORDER BY last_used_us DESC LIMIT -1 OFFSET ?",
            (device_id, keep),
        ).fetchall()
        self._drop_uses(conn, device_id, [row[0] for row in stale])

    def forget_device(self, device_id: str) -> None:
        conn = self._conn()
        used = conn.execute(
            "SELECT hash FROM device_media_uses WHERE device_id = ?", (device_id,)
        ).fetchall()
        self._drop_uses(conn, device_id, [row[0] for row in used])

    @staticmethod
    def _drop_uses(conn: sqlite3.Connection, device_id: str, hashes: list[str]) -> None:
        """Remove the device's uses of ``hashes``, and the pictures nobody uses any more."""
        for digest in hashes:
            conn.execute(
                "DELETE FROM device_media_uses WHERE device_id = ? AND hash = ?",
                (device_id, digest),
            )
            conn.execute(
                "DELETE FROM device_media WHERE hash = ?"
                " AND NOT EXISTS (SELECT 1 FROM device_media_uses WHERE hash = ?)",
                (digest, digest),
            )

    def get(self, digest: str) -> tuple[str, bytes] | None:
        row = (
            self._conn()
            .execute("SELECT mime, data FROM device_media WHERE hash = ?", (digest,))
            .fetchone()
        )
        return (row[0], bytes(row[1])) if row else None

    def count(self) -> int:
        return int(self._conn().execute("SELECT count(*) FROM device_media").fetchone()[0])


class MemoryImageStore:
    """The same in memory, for ``--storage memory``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pictures: dict[str, tuple[str, bytes]] = {}
        # device id -> its pictures' hashes, least recently used first
        self._uses: dict[str, OrderedDict[str, None]] = {}

    def put(self, device_id: str, image: StoredImage, keep: int = KEEP_PER_DEVICE) -> None:
        _check_keep(keep)
        with self._lock:
            self._pictures.setdefault(image.hash, (image.mime, image.data))
            uses = self._uses.setdefault(device_id, OrderedDict())
            uses[image.hash] = None
            uses.move_to_end(image.hash)
            stale = [uses.popitem(last=False)[0] for _ in range(len(uses) - keep)]
            self._drop_unused(stale)

    def forget_device(self, device_id: str) -> None:
        with self._lock:
            self._drop_unused(list(self._uses.pop(device_id, OrderedDict())))

    def _drop_unused(self, hashes: list[str]) -> None:
        for digest in hashes:
            if not any(digest in uses for uses in self._uses.values()):
                self._pictures.pop(digest, None)

    def get(self, digest: str) -> tuple[str, bytes] | None:
        with self._lock:
            return self._pictures.get(digest)

    def count(self) -> int:
        with self._lock:
            return len(self._pictures)


def open_image_store(storage: object) -> ImageStore:
    """The picture store beside ``storage``: its SQLite file, or memory."""
    if isinstance(storage, SqliteStorage):
        return SqliteImageStore(storage)
    return MemoryImageStore()


# -- serving -----------------------------------------------------------------------------------


def cover_response(store: ImageStore, digest: str) -> tuple[bytes, str, dict[str, str]] | None:
    """(body, mime, headers) for ``GET /api/media/covers/<digest>``, or None (404) when the
    text is not a hash or no picture has it. A hash names its bytes forever: cached for good."""
    if not _HASH.fullmatch(digest):
        return None
    found = store.get(digest)
    if found is None:
        return None
    mime, data = found
    headers = {
        "Cache-Control": CACHE_CONTROL,
        "Content-Type": mime,
        "X-Content-Type-Options": "nosniff",
    }
    return data, mime, headers
