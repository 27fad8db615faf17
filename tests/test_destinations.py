"""Pages and named destinations read with pyHanko (signatures/destinations.py), against pypdf as
an independent reader, on hand-built PDFs that use what real files use: a two-level page tree
with inherited boxes, a destination name tree with kids, the old /Dests dictionary, every fit
type, null coordinates; and loops, which must be refused, not followed forever."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from pypdf.generic import NullObject

from signatures import destinations
from signatures.errors import NotAPdf
from signatures.signing import read_layout, read_pdf


def raw_pdf(objects: list[str]) -> bytes:
    """A classic-xref PDF of ``objects`` (object n is ``objects[n - 1]``), catalog = object 1."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


PAGES = [
    "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 3 /MediaBox [0 0 595 842] >>",  # 2: root of the page tree
    "<< /Type /Page /Parent 2 0 R >>",  # 3: page 0, inherits the A4 media box
    "<< /Type /Pages /Parent 2 0 R /Kids [5 0 R 6 0 R] /Count 2 /CropBox [10 20 500 800] >>",  # 4
    "<< /Type /Page /Parent 4 0 R >>",  # 5: page 1, inherited crop box
    "<< /Type /Page /Parent 4 0 R /MediaBox [612 792 0 0] /CropBox [612 792 0 0] >>",  # 6: page 2, reversed corners
]


def name_tree_pdf() -> bytes:
    return raw_pdf([
        "<< /Type /Catalog /Pages 2 0 R /Names << /Dests 7 0 R >> >>",
        *PAGES,
        "<< /Kids [8 0 R 9 0 R] >>",  # 7: name tree root
        "<< /Limits [(alpha) (beta)] /Names [(alpha) [3 0 R /XYZ 72 700 0] (beta) 10 0 R] >>",
        "<< /Limits [(gamma) (zeta)] /Names [(gamma) [5 0 R /FitH 500] (naskah5Fttd) [6 0 R /FitR 100 50 300 250]"
        " (nulls) [5 0 R /XYZ null null null] (zeta) [99 0 R /Fit]] >>",
        "<< /D [6 0 R /FitV 42] >>",  # 10: a destination given as a dictionary
        "<< /Type /Page /MediaBox [0 0 10 10] >>",  # 11: not in the page tree
    ])


def old_dests_pdf() -> bytes:
    return raw_pdf([
        "<< /Type /Catalog /Pages 2 0 R /Dests 7 0 R >>",
        *PAGES,
        "<< /naskah5Fnomor [3 0 R /XYZ 147.4 671.089 0] /naskah_paraf [5 0 R /XYZ 70.85 257.3 0] >>",
    ])


def _coordinate(value: object) -> float | None:
    return None if value is None or isinstance(value, NullObject) else float(value)


def pypdf_view(pdf: bytes) -> tuple[list[tuple[float, ...]], dict[str, tuple[int, float | None, float | None]]]:
    r = PdfReader(io.BytesIO(pdf))
    boxes = []
    for p in r.pages:
        cb = p.cropbox
        xs, ys = sorted((float(cb.left), float(cb.right))), sorted((float(cb.bottom), float(cb.top)))
        boxes.append((xs[0], ys[0], xs[1], ys[1]))
    dests = {}
    for name, d in r.named_destinations.items():
        page = r.get_destination_page_number(d)
        if page is None or page < 0:
            continue
        dests[str(name).lstrip("/")] = (page, _coordinate(d.left), _coordinate(d.top))
    return boxes, dests


def naskah_view(pdf: bytes) -> tuple[list[tuple[float, ...]], dict[str, tuple[int, float | None, float | None]]]:
    boxes, dests = destinations.layout(read_pdf(pdf))
    return ([(b.left, b.bottom, b.right, b.top) for b in boxes],
            {name: (d.page, d.left, d.top) for name, d in dests.items()})


@pytest.mark.parametrize("make", [name_tree_pdf, old_dests_pdf])
def test_pages_and_destinations_agree_with_pypdf(make):
    pdf = make()
    mine, theirs = naskah_view(pdf), pypdf_view(pdf)
    assert mine[0] == theirs[0]
    assert mine[1] == theirs[1]


def test_every_fit_type_gives_the_point_it_names():
    boxes, dests = naskah_view(name_tree_pdf())
    assert boxes == [(0, 0, 595, 842), (10, 20, 500, 800), (0, 0, 612, 792)]
    assert dests == {
        "alpha": (0, 72.0, 700.0),
        "beta": (2, 42.0, None),  # /FitV through a dictionary's /D
        "gamma": (1, None, 500.0),
        "naskah5Fttd": (2, 100.0, 250.0),  # /FitR: left and top
        "nulls": (1, None, None),
    }  # "zeta" points at no page of the file: left out


def test_read_layout_finds_the_mangled_names_and_falls_back_for_missing_coordinates():
    anchors, pages = read_layout(old_dests_pdf())
    assert (anchors["naskah_nomor"].page, anchors["naskah_nomor"].left, anchors["naskah_nomor"].top) == (0, 147.4, 671.089)
    assert anchors["naskah_paraf"].page == 1
    assert len(pages) == 3
    anchors, _ = read_layout(name_tree_pdf())
    assert anchors["naskah_ttd"].page == 2 and anchors["naskah_ttd"].top == 250.0


def test_a_page_tree_that_loops_is_refused():
    pdf = raw_pdf([
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
        "<< /Type /Pages /Kids [2 0 R] /Count 1 >>",
    ])
    with pytest.raises(destinations.LayoutError, match="loops"):
        destinations.layout(read_pdf(pdf))
    with pytest.raises(NotAPdf, match="loops"):
        read_layout(pdf)


def test_a_name_tree_that_loops_is_refused():
    pdf = raw_pdf([
        "<< /Type /Catalog /Pages 2 0 R /Names << /Dests 4 0 R >> >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        "<< /Kids [5 0 R] >>",
        "<< /Kids [4 0 R] >>",
    ])
    with pytest.raises(destinations.LayoutError, match="loops"):
        destinations.layout(read_pdf(pdf))


def test_a_page_without_a_media_box_is_refused():
    pdf = raw_pdf([
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R >>",
    ])
    with pytest.raises(NotAPdf, match="MediaBox"):
        read_layout(pdf)
