"""Build the Padang office's own template and placeholder emblem (developer script).

    python letter_templates/build_padang.py            # laporan_hasil_pemeriksaan.docx
    python letter_templates/build_padang.py --logo     # also redraw letterheads/padang.png

The SOP of Dinas Tenaga Kerja dan Perindustrian Kota Padang (34/SOP/DTKP/2020, step 6) asks the
petugas teknis for a *laporan hasil pemeriksaan* after the field check. It is built with the
helpers of ``build_templates.py`` (same page, kop and signature block as the six defaults); this
script writes only its own files and never touches the shipped defaults.

Context of ``laporan_hasil_pemeriksaan.docx`` (besides office, complaint, complainant, letter,
signer, today; see docs/templates.md), all under ``body``:

| field        | type                                     | printed as                              |
|--------------|------------------------------------------|-----------------------------------------|
| tanggal      | date (or datetime, or text)              | "Senin, 23 November 2026"               |
| tempat       | str                                      | location of the check                   |
| petugas      | list of official ids or {name, nip, jabatan} | the officers who checked            |
| hasil        | multi-line str                           | 1. Hasil pemeriksaan                    |
| saran        | multi-line str                           | 2. Saran/masukan                        |
| mediasi      | multi-line str, optional ("" or absent: "-") | 3. Mediasi dan koordinasi           |
| kesimpulan   | multi-line str                           | 4. Kesimpulan                           |

The signer is the officer who makes the report (the step's actor).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.shared import Cm

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build_templates import (  # noqa: E402  (a script next to build_templates.py)
    finish_placeholder_logo,
    run,
    ANONIM,
    TEXT_WIDTH_CM,
    add_kop,
    add_row,
    field_table,
    new_document,
    para,
    signature_block,
    table,
    tag_row,
    title,
)

TEMPLATE = "laporan_hasil_pemeriksaan.docx"
LOGO = HERE / "letterheads" / "padang.png"


def build_laporan_hasil_pemeriksaan():
    doc = new_document("Laporan Hasil Pemeriksaan Lapangan")
    add_kop(doc)
    title(doc, "LAPORAN HASIL PEMERIKSAAN LAPANGAN")
    just = WD_ALIGN_PARAGRAPH.JUSTIFY
    field_table(doc, [
        ("Dasar", "Disposisi atas pengaduan nomor agenda {{ complaint.register }}"
                  "{% if complaint.lapor_id %} (LAPOR! nomor tiket {{ complaint.lapor_id }}){% endif %}"),
        ("Pelapor", ANONIM + " ({{ complaint.channel }}, diterima {{ complaint.received|tanggal }})"),
        ("Hal pengaduan", "{{ complaint.subject }}"),
        ("Waktu pemeriksaan", "{{ body.tanggal|waktu }}"),
        ("Lokasi", "{{ body.tempat }}"),
    ], widths=(4.2, 0.4))

    para(doc, ("Petugas pemeriksa:", "b"), keep_next=True, after=3)
    widths = [0.8, TEXT_WIDTH_CM - 0.8]
    t = table(doc, widths, rows=0)
    tag_row(t, "{%tr for p in body.petugas %}")
    r = add_row(t, widths)
    para(r.cells[0], "{{ loop.index }}.")
    para(r.cells[1], ("{{ p.name }}", "b"), ", NIP. {{ p.nip or '-' }}")
    para(r.cells[1], "{{ p.jabatan }}", after=3, reuse=False)
    tag_row(t, "{%tr endfor %}")

    para(doc,
         "telah melakukan pengecekan lokasi di lapangan atas pengaduan tersebut, apakah sesuai "
         "dengan masalah yang dilaporkan, dengan hasil sebagai berikut:",
         align=just, before=6, after=6)
    sections = [
        ("Hasil pemeriksaan", "body.hasil"),
        ("Saran/masukan", "body.saran"),
        ("Mediasi dan koordinasi", "(body.mediasi if body.mediasi is defined and body.mediasi else '-')"),
        ("Kesimpulan", "body.kesimpulan"),
    ]
    for i, (heading, expr) in enumerate(sections, start=1):
        para(doc, (f"{i}.\t{heading}", "b"), tabs=(0.75,), keep_next=True, before=6, after=3)
        para(doc, "{{ " + expr + "|paragraf }}", left=0.75, after=3, align=just)
    para(doc,
         "Demikian laporan hasil pemeriksaan ini dibuat dengan sebenarnya untuk dipergunakan "
         "sebagai bahan jawaban atas pengaduan tersebut.",
         align=just, first=1.25, before=6, after=12, keep_next=True)
    sig = signature_block(doc, place_date="{{ office.city }}, {{ (letter.tanggal or today)|tanggal }}",
                          heading=["Petugas pemeriksa,"])
    sig.rows[1].height = Cm(2.2)  # a handwritten signature needs less room than the TTE stamp
    keep_together(sig)
    return doc


def keep_together(t) -> None:
    """Keep a signature table on one page (with the line before it): no row splits, each row
    keeps with the next (Word and LibreOffice both honour keep-with-next on every row but the last)."""
    rows = t.rows
    for i, row in enumerate(rows):
        tr_pr = row._tr.get_or_add_trPr()
        cant = OxmlElement("w:cantSplit")
        tr_pr.insert(0, cant)
        if i < len(rows) - 1:
            for cell in row.cells:
                for p in cell.paragraphs:
                    p.paragraph_format.keep_with_next = True


def draw_placeholder_logo(path: Path, size: int = 480) -> None:
    """A neutral emblem (round seal, gear, a plain line, the word LOGO). Not any government's arms."""
    from PIL import Image, ImageDraw

    w = h = size
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    d = ImageDraw.Draw(img)
    green, gold, grey = (22, 101, 52, 255), (202, 138, 4, 255), (71, 85, 105, 255)
    m = w // 20
    d.ellipse([m, m, w - m, h - m], fill=(255, 255, 255, 255), outline=green, width=max(5, w // 36))
    d.ellipse([3 * m, 3 * m, w - 3 * m, h - 3 * m], outline=gold, width=max(2, w // 120))
    # gear: 12 teeth around a ring
    cx, cy = w / 2, h * 0.42
    r_out, r_in, r_hole = w * 0.20, w * 0.16, w * 0.07
    pts = []
    for i in range(48):
        a = 2 * math.pi * i / 48
        r = r_out if (i // 2) % 2 == 0 else r_in
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    d.polygon(pts, fill=grey)
    d.ellipse([cx - r_hole, cy - r_hole, cx + r_hole, cy + r_hole], fill=(255, 255, 255, 255))
    # a plain horizon line under the gear
    d.line([(w * 0.22, h * 0.66), (w * 0.78, h * 0.66)], fill=gold, width=max(3, w // 60))
    finish_placeholder_logo(img, d, path, colour=green, top=0.69, font_div=10)


def main(argv: list[str] | None = None) -> int:
    return run({TEMPLATE: build_laporan_hasil_pemeriksaan}, "padang.png", draw_placeholder_logo, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
