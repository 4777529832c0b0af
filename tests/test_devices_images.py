"""Report images: data URLs decoded, verified by content, bombs and disguises refused, resized
and re-encoded; content-addressed storage with a per-device LRU cap, in SQLite and in memory;
the cover route's answer."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFile

from aw_server.devices import images
from aw_server.devices.images import (
    CACHE_CONTROL,
    KEEP_PER_DEVICE,
    MAX_DATA_URL_CHARS,
    MAX_PIXELS,
    ImageError,
    ImageStore,
    MemoryImageStore,
    SqliteImageStore,
    StoredImage,
    cover_response,
    cover_url,
    decode_image,
    open_image_store,
)
from aw_server.storage import MemoryStorage, SqliteStorage, Storage


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def data_url(raw: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(raw).decode()}"


def image_url(image: Image.Image, fmt: str, mime: str | None = None, **options: Any) -> str:
    return data_url(encode(image, fmt, **options), mime or f"image/{fmt.lower()}")


def opened(stored: StoredImage) -> Image.Image:
    """The stored bytes read back, checked against what the StoredImage says of them."""
    image = Image.open(io.BytesIO(stored.data))
    assert (image.width, image.height) == (stored.width, stored.height)
    assert Image.MIME[str(image.format)] == stored.mime
    return image


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` 1-bit pixels, with no pixel data:
    tens of bytes that a decoder would expand to width * height bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def picture(shade: int) -> StoredImage:
    """A small real picture, different for each shade (0..255)."""
    return decode_image(image_url(Image.new("RGB", (4, 4), (shade, 0, 0)), "PNG"))


class Decoded(BaseException):
    """Raised by a decode that must not happen; no ``except Exception`` can hide it."""


def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any pixel decoding fail the test."""

    def refuse(self: object) -> None:
        raise Decoded("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


# -- decoding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "size", "expected_size", "expected_mime"),
    [
        ("PNG", (1000, 500), (256, 128), "image/png"),
        ("JPEG", (300, 600), (128, 256), "image/jpeg"),
        ("WEBP", (512, 512), (256, 256), "image/png"),
        ("GIF", (400, 100), (256, 64), "image/png"),
    ],
)
def test_formats_are_resized_to_fit_keeping_the_aspect(
    fmt: str, size: tuple[int, int], expected_size: tuple[int, int], expected_mime: str
) -> None:
    stored = decode_image(image_url(Image.new("RGB", size, (200, 30, 30)), fmt))
    assert (stored.width, stored.height) == expected_size
    assert stored.mime == expected_mime
    back = opened(stored)
    red, green, blue = back.convert("RGB").getpixel((10, 10))  # type: ignore[misc]
    assert red > 150 and green < 80 and blue < 80


@pytest.mark.parametrize("size", [(40, 30), (1, 1), (256, 100)])
def test_small_images_are_never_enlarged(size: tuple[int, int]) -> None:
    stored = decode_image(image_url(Image.new("RGB", size, "white"), "PNG"))
    assert (stored.width, stored.height) == size


def test_a_very_long_thin_image_keeps_at_least_one_pixel() -> None:
    stored = decode_image(image_url(Image.new("L", (3000, 2), 90), "PNG"))
    assert (stored.width, stored.height) == (256, 1)


def test_the_mime_comes_from_the_content_not_the_url() -> None:
    png_as_jpeg = image_url(Image.new("RGB", (8, 8)), "PNG", mime="image/jpeg")
    jpeg_as_gif = image_url(Image.new("RGB", (8, 8)), "JPEG", mime="image/gif")
    assert decode_image(png_as_jpeg).mime == "image/png"
    assert decode_image(jpeg_as_gif).mime == "image/jpeg"


def test_an_animated_gif_keeps_its_first_frame() -> None:
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "blue", "green")]
    raw = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(raw)).n_frames == 3  # type: ignore[attr-defined]
    back = opened(decode_image(data_url(raw, "image/gif")))
    assert getattr(back, "n_frames", 1) == 1
    assert back.convert("RGB").getpixel((5, 5)) == (255, 0, 0)


def test_transparency_is_kept() -> None:
    icon = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    icon.paste((0, 128, 255, 255), (8, 8, 24, 24))
    back = opened(decode_image(image_url(icon, "PNG")))
    assert back.mode == "RGBA"
    assert back.getpixel((0, 0))[3] == 0  # type: ignore[index]
    assert back.getpixel((16, 16)) == (0, 128, 255, 255)


def test_a_gif_transparent_colour_stays_transparent() -> None:
    icon = Image.new("P", (16, 16), 1)
    icon.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    icon.putpixel((4, 4), 0)
    back = opened(decode_image(image_url(icon, "GIF", transparency=0)))
    assert back.mode == "RGBA"
    assert back.getpixel((4, 4))[3] == 0  # type: ignore[index]
    assert back.getpixel((10, 10)) == (255, 255, 255, 255)


def test_exif_orientation_is_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: "rotate 90 degrees clockwise to show"
    stored = decode_image(
        image_url(Image.new("RGB", (400, 200), "red"), "JPEG", exif=exif.tobytes())
    )
    assert (stored.width, stored.height) == (128, 256)
    assert 0x0112 not in opened(stored).getexif()


def test_the_senders_metadata_is_not_stored() -> None:
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "private-note-from-the-sender")
    png = decode_image(image_url(Image.new("RGB", (8, 8)), "PNG", pnginfo=text))
    exif = Image.Exif()
    exif[0x010E] = "private-note-from-the-sender"  # ImageDescription
    jpeg = decode_image(
        image_url(Image.new("RGB", (8, 8)), "JPEG", exif=exif.tobytes(), comment=b"secret")
    )
    for stored in (png, jpeg):
        assert b"private-note" not in stored.data
        assert b"secret" not in stored.data


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [("CMYK", "JPEG"), ("L", "JPEG"), ("1", "PNG"), ("LA", "PNG"), ("P", "PNG"), ("L", "WEBP")],
)
def test_every_colour_mode_becomes_8_bit_rgb(mode: str, fmt: str) -> None:
    back = opened(decode_image(image_url(Image.new("RGB", (300, 30), "white").convert(mode), fmt)))
    assert back.mode == ("RGBA" if mode == "LA" else "RGB")
    assert (back.width, back.height) == (256, 26)
    assert back.convert("L").getpixel((5, 5)) == 255


def test_sixteen_bit_greyscale_is_scaled_not_clipped() -> None:
    grey = Image.new("I;16", (20, 20), 0x8000)  # mid grey in 16 bits
    back = opened(decode_image(image_url(grey, "PNG")))
    value = back.convert("L").getpixel((1, 1))
    assert isinstance(value, int) and 120 <= value <= 135


def test_a_multi_picture_jpeg_is_stored_as_a_jpeg() -> None:
    raw = encode(
        Image.new("RGB", (300, 300), "blue"),
        "MPO",
        save_all=True,
        append_images=[Image.new("RGB", (300, 300), "red")],
    )
    stored = decode_image(data_url(raw, "image/jpeg"))
    assert stored.mime == "image/jpeg" and (stored.width, stored.height) == (256, 256)


def test_line_breaks_in_the_base64_are_allowed() -> None:
    raw = encode(Image.new("RGB", (8, 8)), "PNG")
    wrapped = "data:image/png;base64," + base64.encodebytes(raw).decode()
    assert "\n" in wrapped
    assert decode_image(wrapped).hash == decode_image(data_url(raw, "image/png")).hash


def test_the_hash_is_the_start_of_the_sha256_of_the_stored_bytes() -> None:
    stored = decode_image(image_url(Image.new("RGB", (50, 50), "teal"), "PNG"))
    assert stored.hash == hashlib.sha256(stored.data).hexdigest()[:16]
    assert stored.url == cover_url(stored.hash) == f"/api/media/covers/{stored.hash}"


def test_the_same_picture_gets_the_same_hash() -> None:
    image = Image.new("RGB", (600, 300), "orange")
    first = decode_image(image_url(image, "PNG"))
    again = decode_image(image_url(image, "PNG", mime="image/webp"))
    assert first == again


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(data_url(SVG, "image/png"), id="svg-as-png"),
        pytest.param(data_url(SVG, "image/svg+xml"), id="svg"),
        pytest.param(data_url(HTML, "image/jpeg"), id="html-as-jpeg"),
        pytest.param(data_url(b"just some text", "image/gif"), id="text-as-gif"),
        pytest.param(
            data_url(b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "image/png"), id="png-noise"
        ),
        pytest.param(image_url(Image.new("RGB", (8, 8)), "BMP", mime="image/png"), id="bmp-as-png"),
        pytest.param(
            image_url(Image.new("RGB", (8, 8)), "TIFF", mime="image/png"), id="tiff-as-png"
        ),
    ],
)
def test_anything_but_png_jpeg_webp_or_gif_is_refused(url: str) -> None:
    with pytest.raises(ImageError, match="not a PNG, JPEG, WebP or GIF"):
        decode_image(url)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("https://example.com/cover.png", "data:image/...;base64, URL"),
        ("data:text/plain;base64,aGVsbG8=", "data:image/...;base64, URL"),
        ("data:image/png,rawtext", "data:image/...;base64, URL"),
        ("data:image/png;base64", "data:image/...;base64, URL"),
        ("", "data:image/...;base64, URL"),
        ("data:image/png;base64,@@not base64@@", "not valid base64"),
        ("data:image/png;base64,abc", "not valid base64"),
        ("data:image/png;base64,ñññ", "not valid base64"),
        ("data:image/png;base64,", "empty"),
        (None, "data URL string"),
        (12, "data URL string"),
        (b"data:image/png;base64,", "data URL string"),
    ],
)
def test_what_is_not_a_base64_image_data_url_is_refused(value: object, message: str) -> None:
    with pytest.raises(ImageError, match=message) as caught:
        decode_image(value)
    assert caught.value.status == 400
    assert caught.value.message == str(caught.value)


def test_the_data_url_prefix_is_case_insensitive() -> None:
    url = image_url(Image.new("RGB", (8, 8)), "PNG", mime="IMAGE/PNG").replace("base64", "BASE64")
    assert decode_image(url.replace("data:", "DATA:")).mime == "image/png"


def test_a_3_mib_data_url_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> bytes:
        raise Decoded("base64 was decoded")

    monkeypatch.setattr(images.base64, "b64decode", refuse)
    huge = "data:image/png;base64," + "A" * (3 * 1024 * 1024)
    with pytest.raises(ImageError, match="image too large"):
        decode_image(huge)


def test_the_size_limit_counts_characters_up_to_2_mib() -> None:
    url = image_url(Image.new("RGB", (8, 8)), "PNG")
    at_limit = url + "\n" * (MAX_DATA_URL_CHARS - len(url))
    assert len(at_limit) == MAX_DATA_URL_CHARS
    assert decode_image(at_limit).mime == "image/png"
    with pytest.raises(ImageError, match="image too large"):
        decode_image(at_limit + "\n")


def test_a_decompression_bomb_is_refused_before_its_pixels_are_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bomb = png_declaring(100_000, 100_000)
    assert len(bomb) < 100
    no_decoding(monkeypatch)
    with pytest.raises(ImageError, match="too large"):
        decode_image(data_url(bomb, "image/png"))


def test_dimensions_over_our_limit_are_refused_below_pillows_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 8000 x 8000 passes Pillow's default bomb limit (about 89 million pixels), not ours
    assert MAX_PIXELS < 8000 * 8000 < Image.MAX_IMAGE_PIXELS  # type: ignore[operator]
    no_decoding(monkeypatch)
    with pytest.raises(ImageError, match="8000x8000 are too large"):
        decode_image(data_url(png_declaring(8000, 8000), "image/png"))


def test_pillows_bomb_limit_is_a_second_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(images, "MAX_PIXELS", 10**12)
    no_decoding(monkeypatch)
    with pytest.raises(ImageError, match="too large"):
        decode_image(data_url(png_declaring(100_000, 100_000), "image/png"))


def test_a_real_1_bit_bomb_made_by_pillow_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = encode(Image.new("1", (5000, 5000)), "PNG")  # 25 million pixels in a few kilobytes
    assert len(raw) < 10_000
    no_decoding(monkeypatch)
    with pytest.raises(ImageError, match="5000x5000 are too large"):
        decode_image(data_url(raw, "image/png"))


def noise(fmt: str) -> bytes:
    return encode(Image.effect_noise((200, 200), 80).convert("RGB"), fmt)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP"])
def test_a_truncated_image_is_refused(fmt: str) -> None:
    raw = noise(fmt)
    with pytest.raises(ImageError, match="truncated or corrupt"):
        decode_image(data_url(raw[: len(raw) // 2], f"image/{fmt.lower()}"))


def test_a_png_cut_after_its_header_is_refused() -> None:
    raw = noise("PNG")
    with pytest.raises(ImageError, match="truncated or corrupt"):
        decode_image(data_url(raw[:60], "image/png"))


# -- storage -----------------------------------------------------------------------------------


def put(
    storage: Storage,
    store: ImageStore,
    device_id: str,
    image: StoredImage,
    keep: int = KEEP_PER_DEVICE,
) -> None:
    """Store a picture as the server does: inside a storage write."""
    storage.write(lambda: store.put(device_id, image, keep))


def forget(storage: Storage, store: ImageStore, device_id: str) -> None:
    storage.write(lambda: store.forget_device(device_id))


def test_open_image_store_matches_the_storage(tmp_path: Path) -> None:
    assert isinstance(open_image_store(MemoryStorage()), MemoryImageStore)
    sqlite = SqliteStorage(tmp_path / "a.sqlite")
    try:
        assert isinstance(open_image_store(sqlite), SqliteImageStore)
    finally:
        sqlite.close()


def test_put_and_get(storage: Storage) -> None:
    store = open_image_store(storage)
    stored = picture(1)
    put(storage, store, "dev_00000001", stored)
    assert store.get(stored.hash) == (stored.mime, stored.data)
    assert store.get("0123456789abcdef") is None


def test_the_same_picture_twice_is_stored_once(storage: Storage) -> None:
    store = open_image_store(storage)
    first = decode_image(image_url(Image.new("RGB", (40, 40), "navy"), "PNG"))
    again = decode_image(image_url(Image.new("RGB", (40, 40), "navy"), "PNG", mime="image/gif"))
    for image in (first, again, first):
        put(storage, store, "dev_00000001", image)
    put(storage, store, "dev_00000002", first)
    assert store.count() == 1


def test_a_device_keeps_its_50_most_recently_used_pictures(storage: Storage) -> None:
    store = open_image_store(storage)
    pictures = [picture(shade) for shade in range(KEEP_PER_DEVICE + 2)]
    assert len({p.hash for p in pictures}) == len(pictures)
    for image in pictures[:KEEP_PER_DEVICE]:
        put(storage, store, "dev_00000001", image)
    assert store.count() == KEEP_PER_DEVICE
    # used again: now the most recent, so the second oldest goes first
    put(storage, store, "dev_00000001", pictures[0])
    put(storage, store, "dev_00000001", pictures[KEEP_PER_DEVICE])
    assert store.count() == KEEP_PER_DEVICE
    assert store.get(pictures[0].hash) is not None
    assert store.get(pictures[1].hash) is None
    put(storage, store, "dev_00000001", pictures[KEEP_PER_DEVICE + 1])
    assert store.get(pictures[2].hash) is None
    assert store.get(pictures[3].hash) is not None
    assert store.count() == KEEP_PER_DEVICE


def test_the_order_of_puts_decides_even_when_the_clock_steps_back(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter(range(1_000_000, 0, -1000))  # every put sees an earlier time than the last
    monkeypatch.setattr(images, "_now_us", lambda: next(clock))
    store = open_image_store(storage)
    for shade in (1, 2, 3, 1, 4):
        put(storage, store, "dev_0000000a", picture(shade), keep=3)
    kept = {shade: store.get(picture(shade).hash) is not None for shade in (1, 2, 3, 4)}
    assert kept == {1: True, 2: False, 3: True, 4: True}


def test_the_cap_is_per_device(storage: Storage) -> None:
    store = open_image_store(storage)
    for shade in range(5):
        put(storage, store, "dev_0000000a", picture(shade), keep=3)
        put(storage, store, "dev_0000000b", picture(100 + shade), keep=3)
    assert store.count() == 6
    assert store.get(picture(1).hash) is None and store.get(picture(2).hash) is not None
    assert store.get(picture(101).hash) is None and store.get(picture(102).hash) is not None


def test_a_picture_another_device_uses_is_not_evicted(storage: Storage) -> None:
    store = open_image_store(storage)
    shared = picture(200)
    put(storage, store, "dev_0000000b", shared)
    put(storage, store, "dev_0000000a", shared, keep=2)
    for shade in range(3):  # pushes the shared picture out of device a's two
        put(storage, store, "dev_0000000a", picture(shade), keep=2)
    assert store.get(shared.hash) is not None
    forget(storage, store, "dev_0000000b")
    assert store.get(shared.hash) is None
    assert store.count() == 2


def test_forget_device_removes_only_its_own_pictures(storage: Storage) -> None:
    store = open_image_store(storage)
    put(storage, store, "dev_0000000a", picture(1))
    put(storage, store, "dev_0000000b", picture(2))
    forget(storage, store, "dev_0000000a")
    forget(storage, store, "dev_00000fff")  # unknown: nothing to do
    assert store.get(picture(1).hash) is None
    assert store.get(picture(2).hash) is not None


def test_keep_below_one_is_a_programming_error(storage: Storage) -> None:
    store = open_image_store(storage)
    with pytest.raises(ValueError, match="keep"):
        put(storage, store, "dev_0000000a", picture(1), keep=0)


def test_sqlite_pictures_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "aw.sqlite"
    storage = SqliteStorage(path)
    store = open_image_store(storage)
    stored = picture(7)
    put(storage, store, "dev_00000001", stored)
    storage.close()
    reopened = SqliteStorage(path)
    try:
        again = open_image_store(reopened)
        assert again.get(stored.hash) == (stored.mime, stored.data)
        version = (
            reopened.connection()
            .execute("SELECT version FROM schema_parts WHERE part = 'devices_media'")
            .fetchone()
        )
        assert version == (1,)
    finally:
        reopened.close()


def test_a_put_is_part_of_the_callers_transaction(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "aw.sqlite")
    try:
        store = open_image_store(storage)
        stored = picture(9)

        def put_then_fail() -> None:
            store.put("dev_00000001", stored)
            raise RuntimeError("the report failed after its picture was stored")

        with pytest.raises(RuntimeError):
            storage.write(put_then_fail)
        assert store.get(stored.hash) is None
        assert store.count() == 0
    finally:
        storage.close()


# -- serving -----------------------------------------------------------------------------------


def test_cover_response_serves_the_picture_for_good(storage: Storage) -> None:
    store = open_image_store(storage)
    stored = decode_image(image_url(Image.new("RGB", (30, 30), "purple"), "JPEG"))
    put(storage, store, "dev_00000001", stored)
    answer = cover_response(store, stored.hash)
    assert answer is not None
    body, mime, headers = answer
    assert (body, mime) == (stored.data, "image/jpeg")
    assert headers == {
        "Cache-Control": CACHE_CONTROL,
        "Content-Type": "image/jpeg",
        "X-Content-Type-Options": "nosniff",
    }
    assert CACHE_CONTROL == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    "text",
    [
        "0123456789abcdef",  # well formed, not stored
        "0123456789ABCDEF",
        "0123456789abcde",
        "0123456789abcdef0",
        "0123456789abcdeg",
        "../../etc/passwd",
        "",
        "٠١٢٣٤٥٦٧٨٩abcdef",  # Arabic-Indic digits: \d would take them, we must not
    ],
)
def test_cover_response_is_none_for_anything_else(storage: Storage, text: str) -> None:
    store = open_image_store(storage)
    put(storage, store, "dev_00000001", picture(3))
    assert cover_response(store, text) is None


def test_a_stored_hash_with_a_trailing_newline_is_not_found(storage: Storage) -> None:
    store = open_image_store(storage)
    stored = picture(4)
    put(storage, store, "dev_00000001", stored)
    assert cover_response(store, stored.hash) is not None
    assert cover_response(store, stored.hash + "\n") is None
