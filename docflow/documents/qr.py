"""QR codes for the verification link printed on letters (R29), as a small PNG data URL.

segno is used rather than qrcode: with the mask fixed, segno encodes a verification URL in
about 2-3 ms against about 11 ms for qrcode (bench/README.md). The mask is fixed because choosing
the "best" of the eight masks costs ~8 ms per code and only helps badly printed codes; every mask
is valid and scanners read all of them.

The code is a 1-pixel-per-module PNG drawn with ``image-rendering: pixelated`` (sharp edges at
any size), not SVG: WeasyPrint re-parses and draws an SVG path of a few hundred runs on every
render (~13 ms), while a PNG of ~300 bytes is one image in the PDF. Memoised per content.
"""
import base64
import io
from functools import lru_cache

import segno

QUIET_ZONE = 4  # modules; the QR specification asks for four


@lru_cache(maxsize=512)
def qr_png(data: str) -> bytes:
    """The QR code of ``data`` as a PNG, one pixel per module, with the quiet zone."""
    if not data:
        raise ValueError("a QR code needs non-empty data")
    code = segno.make_qr(data, error="m", mask=0, boost_error=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=1, border=QUIET_ZONE)
    return out.getvalue()


def qr_data_url(data: str) -> str:
    """The PNG as a ``data:`` URL, the only kind of URL the renderer fetches."""
    return "data:image/png;base64," + base64.b64encode(qr_png(data)).decode("ascii")
