"""QR codes as small images every page and document can show inline: the certificates' link to their
public verification page, a staff member's authenticator key on the enrolment page. Nothing is
fetched from elsewhere."""

from __future__ import annotations

import base64
from io import BytesIO


def qr_image(text: str) -> str:
    """``text`` as a QR code: a PNG with one pixel per module, as a ``data:`` URI (a few hundred
    bytes; the stylesheet scales it up without smoothing). The mask pattern is fixed: any of the
    eight is valid, and choosing the "best" one costs more than the rest of the QR code."""
    import qrcode
    from PIL import Image

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, mask_pattern=0)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    image = Image.new("1", (len(matrix), len(matrix)))
    image.putdata([0 if dark else 1 for row in matrix for dark in row])
    png = BytesIO()
    image.save(png, "PNG")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")
