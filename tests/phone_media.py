"""Photos as phones and editors write them, made at test time with Pillow and piexif.

``scene(seed)`` paints a natural-looking picture (sky with clouds, hills, a parcel, its
shadow, stones, a cable, sensor noise), different in layout and colour for every seed,
so ten seeds are ten different photos, not ten flat test patterns that hash alike.
``phone_jpeg`` and ``phone_heic`` save one at a given size with the EXIF a phone writes
(make, model, exposure, DateTimeOriginal with or without its offset) and a thumbnail
made from the saved size (IFD1 for JPEG, a thumbnail item for HEIC), as a phone or an
editor that re-saves the picture regenerates it. ``screenshot_png`` draws a phone's
order page at a screen size, without camera EXIF.
"""

from __future__ import annotations

import functools
import io
import random
from datetime import datetime

import piexif
import pillow_heif
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

BASE = (1600, 1200)  # scenes are painted at this size, then resized as a phone would


def _noise(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Fractal value noise in [0, 255]: random grids of 4 to 64 cells, smoothly enlarged."""
    result = Image.new("L", size, 128)
    for cells, weight in ((4, 0.5), (8, 0.25), (16, 0.13), (32, 0.07), (64, 0.05)):
        grid = Image.frombytes(
            "L",
            (cells, cells * 3 // 4),
            bytes(rng.randrange(256) for _ in range(cells * cells * 3 // 4)),
        )
        layer = grid.resize(size, Image.Resampling.BICUBIC)
        result = Image.blend(result, layer, weight / (weight + 0.5))
    return result


def _colour(rng: random.Random, low: int = 0, high: int = 255) -> tuple[int, int, int]:
    return (rng.randint(low, high), rng.randint(low, high), rng.randint(low, high))


@functools.lru_cache(maxsize=64)
def scene(seed: int, size: tuple[int, int] = BASE) -> Image.Image:
    """A natural-looking outdoor photo of a parcel, its layout drawn from ``seed``
    (cached: callers resize or save it, never change it)."""
    rng = random.Random(seed)
    width, height = size
    top, bottom = _colour(rng, 90, 230), _colour(rng, 150, 255)
    sky = Image.linear_gradient("L").resize(size)
    picture = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), sky)
    clouds = _noise(rng, size).point(lambda v: max(0, v - 120) * 2)
    picture = Image.composite(Image.new("RGB", size, (245, 245, 245)), picture, clouds)
    draw = ImageDraw.Draw(picture)
    horizon = rng.randint(height // 4, height * 2 // 3)
    for layer in range(rng.randint(2, 4)):  # hills, the nearer ones darker and lower
        base = horizon + layer * height // 12
        points = [(0, height)]
        y = base + rng.randint(-height // 8, height // 8)
        for x in range(0, width + 80, 80):
            y = max(height // 6, min(height - 10, y + rng.randint(-60, 60)))
            points.append((x, y))
        points.append((width, height))
        shade = _colour(rng, 20, 160)
        draw.polygon(points, fill=shade)
    texture = _noise(rng, size).filter(ImageFilter.GaussianBlur(1))
    ground = Image.new("RGB", size, _colour(rng, 40, 140))
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle((0, horizon + height // 5, width, height), fill=90)
    picture = Image.composite(ground, picture, Image.composite(texture, mask, mask))
    draw = ImageDraw.Draw(picture)
    for _ in range(rng.randint(3, 9)):  # stones
        x, y = rng.randrange(width), rng.randint(horizon, height)
        r = rng.randint(width // 80, width // 20)
        draw.ellipse((x - r, y - r // 2, x + r, y + r // 2), fill=_colour(rng, 60, 200))
    # The parcel: a box with a lit top, a shaded side and a shadow on the ground.
    bw, bh = rng.randint(width // 6, width // 3), rng.randint(height // 6, height // 3)
    bx, by = rng.randint(0, width - bw - width // 10), rng.randint(height // 3, height - bh - 20)
    depth = rng.randint(bw // 6, bw // 3)
    face = _colour(rng, 120, 220)
    draw.polygon(
        [(bx + bw, by + bh), (bx + bw + depth, by + bh - depth // 2),
         (bx + bw + depth * 3, by + bh + depth), (bx + bw, by + bh + depth)],
        fill=(30, 30, 30),
    )  # fmt: skip
    draw.rectangle((bx, by, bx + bw, by + bh), fill=face)
    draw.polygon(
        [
            (bx, by),
            (bx + depth, by - depth // 2),
            (bx + bw + depth, by - depth // 2),
            (bx + bw, by),
        ],
        fill=tuple(min(255, c + 35) for c in face),
    )
    draw.polygon(
        [(bx + bw, by), (bx + bw + depth, by - depth // 2),
         (bx + bw + depth, by + bh - depth // 2), (bx + bw, by + bh)],
        fill=tuple(c * 2 // 3 for c in face),
    )  # fmt: skip
    draw.line((bx + bw // 2, by, bx + bw // 2, by + bh), fill=(200, 170, 90), width=bw // 12)
    points = [(rng.randrange(width), rng.randrange(horizon, height)) for _ in range(5)]
    draw.line(points, fill=_colour(rng, 0, 80), width=max(3, width // 200), joint="curve")
    picture = picture.filter(ImageFilter.GaussianBlur(1.2))
    # Uneven light over the whole frame, as a real scene has, then sensor grain.
    light = _noise(rng, size).point(lambda v: 150 + v * 105 // 255).convert("RGB")
    picture = ImageChops.multiply(picture, light)
    grain = Image.effect_noise(size, 18).convert("RGB")
    return Image.blend(picture, grain, 0.06)


def _exif(
    taken_at: datetime | None,
    offset: str | None,
    thumbnail: bytes | None,
    make: str = "Apple",
    model: str = "iPhone 13",
    size: tuple[int, int] | None = None,
    maker_note: int = 0,
) -> bytes:
    """The APP1 payload a phone camera writes (b"Exif\\0\\0" + TIFF)."""
    zeroth: dict[int, object] = {
        piexif.ImageIFD.Make: make.encode(),
        piexif.ImageIFD.Model: model.encode(),
        piexif.ImageIFD.Software: b"17.1",
        piexif.ImageIFD.Orientation: 1,
    }
    exif: dict[int, object] = {
        piexif.ExifIFD.ExposureTime: (1, 120),
        piexif.ExifIFD.FNumber: (16, 10),
        piexif.ExifIFD.ISOSpeedRatings: 64,
        piexif.ExifIFD.FocalLength: (51, 10),
    }
    if maker_note:  # a maker's private block: Samsung's and Canon's run to tens of KiB
        exif[piexif.ExifIFD.MakerNote] = bytes(range(256)) * (maker_note // 256)
    if size:
        exif[piexif.ExifIFD.PixelXDimension] = size[0]
        exif[piexif.ExifIFD.PixelYDimension] = size[1]
    if taken_at is not None:
        exif[piexif.ExifIFD.DateTimeOriginal] = taken_at.strftime("%Y:%m:%d %H:%M:%S").encode()
        zeroth[piexif.ImageIFD.DateTime] = taken_at.strftime("%Y:%m:%d %H:%M:%S").encode()
    if offset is not None:
        exif[0x9011] = offset.encode()  # OffsetTimeOriginal
    data: dict[str, object] = {"0th": zeroth, "Exif": exif}
    if thumbnail is not None:
        data["1st"] = {piexif.ImageIFD.XResolution: (72, 1), piexif.ImageIFD.YResolution: (72, 1)}
        data["thumbnail"] = thumbnail
    return bytes(piexif.dump(data))


def jpeg_thumbnail(picture: Image.Image, quality: int = 80) -> bytes:
    """A 160-pixel-wide JPEG thumbnail of ``picture``, as a phone writes into IFD1."""
    small = picture.copy()
    small.thumbnail((160, 160), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    small.save(out, "JPEG", quality=quality)
    return out.getvalue()


def phone_jpeg(
    picture: Image.Image,
    size: tuple[int, int] | None = None,
    *,
    quality: int = 85,
    taken_at: datetime | None = None,
    offset: str | None = None,
    thumbnail: bool = True,
    camera: bool = True,
    maker_note: int = 0,
) -> bytes:
    """``picture`` resized to ``size`` and saved as a phone or editor saves a JPEG: camera
    EXIF (unless not ``camera``, with a maker note of ``maker_note`` bytes), the date
    taken, and a thumbnail made from the saved size."""
    if size is not None and size != picture.size:
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    thumb = jpeg_thumbnail(picture, quality=min(95, quality)) if thumbnail else None
    out = io.BytesIO()
    if camera or thumb or taken_at:
        exif = (
            _exif(taken_at, offset, thumb, size=picture.size, maker_note=maker_note)
            if camera
            else _plain_exif(thumb)
        )
        picture.save(out, "JPEG", quality=quality, exif=exif)
    else:
        picture.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _plain_exif(thumbnail: bytes | None) -> bytes:
    """EXIF an editor writes without any camera field (a thumbnail at most)."""
    data: dict[str, object] = {"0th": {piexif.ImageIFD.Software: b"GIMP 2.10"}}
    if thumbnail is not None:
        data["1st"] = {piexif.ImageIFD.XResolution: (72, 1), piexif.ImageIFD.YResolution: (72, 1)}
        data["thumbnail"] = thumbnail
    return bytes(piexif.dump(data))


def phone_heic(
    picture: Image.Image,
    size: tuple[int, int] | None = None,
    *,
    quality: int = 60,
    taken_at: datetime | None = None,
    offset: str | None = None,
    thumbnail: int | None = 320,
) -> bytes:
    """``picture`` saved as a phone's HEIC: camera EXIF item and a thumbnail item of
    ``thumbnail`` pixels on its long side (None: no thumbnail)."""
    if size is not None and size != picture.size:
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    heif = pillow_heif.from_pillow(picture)
    if thumbnail:
        heif.info["thumbnails"] = [thumbnail]
    out = io.BytesIO()
    exif = _exif(taken_at, offset, None, size=picture.size)
    # x265's fastest preset: ten times faster than its default, the same kind of file.
    heif.save(out, quality=quality, exif=exif, enc_params={"preset": "ultrafast"})
    return out.getvalue()


def screenshot_png(size: tuple[int, int] = (1170, 2532), seed: int = 0) -> bytes:
    """A phone's screenshot of an order page: flat colours and text, no EXIF."""
    rng = random.Random(seed)
    picture = Image.new("RGB", size, (246, 247, 249))
    draw = ImageDraw.Draw(picture)
    width, height = size
    font = ImageFont.load_default(size=max(14, width // 28))
    draw.rectangle((0, 0, width, height // 14), fill=(31, 41, 55))
    draw.text((width // 20, height // 40), "shop.example  My orders", fill="white", font=font)
    lines = [
        "Order 100205   Delivered",
        "Ordered: Raspberry Pi 5 (8 GB)",
        "SKU RPI5-8GB   x1   EUR 92.00",
        "Tracking: DHL 00340434161234567805",
        "Received: Raspberry Pi 4 Model B",
    ]
    y = height // 10
    for line in lines:
        draw.text((width // 20, y), line, fill=(17, 24, 39), font=font)
        y += height // 18
    draw.rectangle(
        (width // 20, y, width - width // 20, y + height // 4), fill=_colour(rng, 180, 240)
    )
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()
