"""The office logo as the kop surat prints it: no more pixels than print needs.

An office gives its logo as whatever file it has, often far larger than the 20 mm it is printed
at. Every pixel costs in every letter: LibreOffice decodes the image, checksums it and compresses
it again into each PDF. The logo goes into letters scaled down to ``DPI`` at its printed height
(never up), in its own format (PNG stays PNG with its transparency, JPEG stays JPEG), made once per
file version and kept. A file Pillow cannot read is handed on as it is, so that the document
builder reports it as it reports any bad image.
"""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path

from PIL import Image, UnidentifiedImageError

__all__ = ["DPI", "print_ready_logo"]

#: print resolution of the logo in letters (dots per inch at its printed size)
DPI = 300
_MM_PER_INCH = 25.4


def print_ready_logo(path: Path, height_mm: float) -> bytes:
    """The bytes of the logo at ``path`` for printing ``height_mm`` high (see the module doc)."""
    st = os.stat(path)
    return _scaled(str(path), st.st_mtime_ns, st.st_size, height_mm)


@functools.lru_cache(maxsize=16)
def _scaled(path: str, _mtime_ns: int, _size: int, height_mm: float) -> bytes:
    data = Path(path).read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            wanted = round(height_mm / _MM_PER_INCH * DPI)
            if image.format not in ("PNG", "JPEG") or image.height <= wanted:
                return data
            width = max(1, round(image.width * wanted / image.height))
            smaller = image.resize((width, wanted), Image.Resampling.BOX)  # area average: no ringing
            out = io.BytesIO()
            if image.format == "JPEG":
                smaller.save(out, "JPEG", quality=95, dpi=(DPI, DPI))
            else:
                smaller.save(out, "PNG", optimize=True, dpi=(DPI, DPI))
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError):
        return data  # not an image Pillow reads: python-docx will say so
