"""The office logo in letters: scaled down to print resolution once, never up, format and
transparency kept; what Pillow cannot read is passed on for the document builder to refuse."""

from __future__ import annotations

import io
import os
from zipfile import ZipFile

from PIL import Image

from correspondence.letterhead import DPI, print_ready_logo

HEIGHT_MM = 20.0
PIXELS = round(HEIGHT_MM / 25.4 * DPI)  # 236


def _image(path, size, mode="RGBA", fmt="PNG"):
    colour = (200, 30, 30, 128) if mode == "RGBA" else (200, 30, 30)
    image = Image.new(mode, size, colour)
    for x in range(0, size[0], 7):  # some detail, so the file is not trivially small
        for y in range(0, size[1], 11):
            image.putpixel((x, y), (0, 0, 0, 255) if mode == "RGBA" else (0, 0, 0))
    image.save(path, fmt)
    return path


def _read(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_large_png_logo_is_scaled_to_print_resolution_with_its_transparency(tmp_path):
    logo = _image(tmp_path / "logo.png", (2000, 2400))
    image = _read(print_ready_logo(logo, HEIGHT_MM))
    assert image.format == "PNG" and image.mode == "RGBA"
    assert image.height == PIXELS and image.width == round(2000 * PIXELS / 2400)  # proportions kept
    assert image.getpixel((image.width // 2, image.height // 2))[3] < 255  # still see-through


def test_a_large_jpeg_logo_stays_a_jpeg(tmp_path):
    logo = _image(tmp_path / "logo.jpg", (1200, 1200), mode="RGB", fmt="JPEG")
    image = _read(print_ready_logo(logo, HEIGHT_MM))
    assert image.format == "JPEG" and image.size == (PIXELS, PIXELS)


def test_a_logo_already_small_enough_is_not_touched(tmp_path):
    logo = _image(tmp_path / "logo.png", (150, PIXELS))
    assert print_ready_logo(logo, HEIGHT_MM) == logo.read_bytes()


def test_a_logo_changed_on_disk_is_read_again(tmp_path):
    logo = _image(tmp_path / "logo.png", (1000, 1000))
    assert _read(print_ready_logo(logo, HEIGHT_MM)).size == (PIXELS, PIXELS)
    _image(logo, (2000, 1000))
    st = os.stat(logo)
    os.utime(logo, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert _read(print_ready_logo(logo, HEIGHT_MM)).size == (2 * PIXELS, PIXELS)


def test_what_is_not_an_image_is_passed_on_unchanged(tmp_path):
    bogus = tmp_path / "logo.png"
    bogus.write_bytes(b"bukan gambar")
    assert print_ready_logo(bogus, HEIGHT_MM) == b"bukan gambar"


def test_the_letter_carries_the_scaled_logo(tmp_path):
    from test_documents import render, sample_context

    big = _image(tmp_path / "besar.png", (1600, 1920))
    data = render("surat_jawaban", sample_context(office__logo=big))
    with ZipFile(io.BytesIO(data)) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
        assert len(media) == 1
        assert _read(z.read(media[0])).size == (round(1600 * PIXELS / 1920), PIXELS)
