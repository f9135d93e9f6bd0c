"""QR codes for the verification link printed on letters (R29), as a small PNG data URL.

segno is used rather than qrcode: with the mask fixed, segno encodes a verification URL in
about 2-3 ms against about 11 ms for qrcode (bench/README.md). The mask is fixed because choosing
the "best" of the eight masks costs ~8 ms per code and only helps badly printed codes; every mask
is valid and scanners read all of them.

The code is a 1-pixel-per-module PNG drawn with ``image-rendering: pixelated`` (sharp edges at
any size), not SVG: WeasyPrint re-parses and draws an SVG path of a few hundred runs on every
render (~13 ms), while a PNG of ~300 bytes is one image in the PDF. Memoised per content.

A warm renderer making a plain PDF does not go through PNG at all: ``qr_bitmap`` packs the
modules as a 1-bit DeviceGray image that ``render.py`` writes into the PDF as it is, drawn where
the letter's ``.qr`` box was laid out. The PNG path (segno's pure-Python PNG writer, then
WeasyPrint decoding it with Pillow and converting it to RGB for the PDF) cost ~2-3 ms a letter.
"""
import base64
import io
from functools import lru_cache

import segno

QUIET_ZONE = 4  # modules; the QR specification asks for four


def qr_code(data: str) -> segno.QRCode:
    """The code of ``data``: error level M, mask 0, no error-level boost (see above)."""
    if not data:
        raise ValueError("a QR code needs non-empty data")
    return segno.make_qr(data, error="m", mask=0, boost_error=False)


@lru_cache(maxsize=512)
def qr_png(data: str) -> bytes:
    """The QR code of ``data`` as a PNG, one pixel per module, with the quiet zone."""
    code = qr_code(data)
    out = io.BytesIO()
    code.save(out, kind="png", scale=1, border=QUIET_ZONE)
    return out.getvalue()


def qr_data_url(data: str) -> str:
    """The PNG as a ``data:`` URL, the only kind of URL the renderer fetches."""
    return "data:image/png;base64," + base64.b64encode(qr_png(data)).decode("ascii")


@lru_cache(maxsize=512)
def qr_bitmap(data: str) -> tuple[int, bytes]:
    """The QR code of ``data`` with its quiet zone as ``(size, rows)``: ``size`` modules a side,
    each row packed MSB first and padded to a byte, 1 for a light module and 0 for a dark one
    (a 1-bit DeviceGray image, as PDF draws it)."""
    rows = []
    for row in qr_code(data).matrix_iter(scale=1, border=QUIET_ZONE):
        bits = "".join("0" if dark else "1" for dark in row)
        bits += "1" * (-len(bits) % 8)
        rows.append(int(bits, 2).to_bytes(len(bits) // 8, "big"))
    return len(rows), b"".join(rows)
