"""A perceptual hash of a photo's embedded thumbnail: the same picture, resized or saved
again, hashes alike; another picture does not. The only user of Pillow and pillow-heif.

The hash is a difference hash (dHash) over rows and over columns: the thumbnail in
grey, shrunk to 9×8 pixels, one bit per pair of neighbours in a row (is the right one
brighter?), and the same on the transposed 8×9 picture: 128 bits, as 32 hex digits.
Measured on test photos (tests/unit/test_photohash.py): one picture resized to ten
sizes from 1280×960 to 4032×3024, saved at JPEG quality 70-95 with a new thumbnail
each time, gives hashes at most 5 bits apart; forty different pictures are at least
33 bits apart from each other. A 64-bit row-only dHash kept 5 against 17, an average
hash 1 against 1 (a sky above and ground below gives every outdoor photo the same
one), hence the 128-bit dHash; imagehash's pHash would need numpy and scipy.

Thumbnails are small (a JPEG's IFD1 thumbnail is 160×120, a HEIC's 256 to 512 pixels):
a thumbnail claiming more than _MAX_PIXELS is not decoded. A JPEG thumbnail is turned
upright by the photo's EXIF orientation first, as a viewer shows it, so a copy an
editor saved upright matches the original. Nothing here raises: a thumbnail that does
not decode gives "" (the photo is then compared by its bytes only).
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

__all__ = ["dhash", "heif_thumbnail_hash", "jpeg_thumbnail_hash"]

_MAX_PIXELS = 1024 * 1024
# EXIF orientation 1-8 -> the transposition that shows the picture upright.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def dhash(picture: Image.Image) -> str:
    """The 128-bit difference hash of ``picture`` over rows and columns, as hex."""
    grey = ImageOps.grayscale(picture)
    bits = 0
    for shrunk in (
        grey.resize((9, 8), Image.Resampling.LANCZOS),
        grey.transpose(Image.Transpose.TRANSPOSE).resize((9, 8), Image.Resampling.LANCZOS),
    ):
        pixels = shrunk.tobytes()
        for row in range(8):
            for col in range(8):
                left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
                bits = bits << 1 | (right > left)
    return f"{bits:032x}"


def jpeg_thumbnail_hash(thumbnail: bytes, orientation: int = 1) -> str:
    """The hash of a JPEG thumbnail (EXIF IFD1), turned upright; "" if it does not decode."""
    if not thumbnail:
        return ""
    try:
        with Image.open(io.BytesIO(thumbnail), formats=["JPEG"]) as picture:
            if picture.width * picture.height > _MAX_PIXELS:
                return ""
            if orientation in _UPRIGHT:
                return dhash(picture.transpose(_UPRIGHT[orientation]))
            return dhash(picture)
    except Exception:  # a decoder meeting crafted bytes may raise anything
        return ""


def heif_thumbnail_hash(heif: bytes) -> str:
    """The hash of the first thumbnail of a HEIF file (heifitems.thumbnail_file builds
    one holding only the thumbnail's bytes); "" if there is none or it does not decode."""
    if not heif:
        return ""
    # Imported at the first HEIC: ~15 ms of CPU that a run without one need not pay.
    import pillow_heif

    try:
        heif_file = pillow_heif.open_heif(heif, convert_hdr_to_8bit=True)
        primary = heif_file[heif_file.primary_index]
        listed = primary.info.get("thumbnails")
        boxes = [b for b in listed if isinstance(b, int)] if isinstance(listed, list) else []
        if not boxes or boxes[0] ** 2 > _MAX_PIXELS:
            return ""
        return dhash(primary.get_thumbnail(0).to_pillow())
    except Exception:  # libheif meeting crafted bytes may raise anything
        return ""
