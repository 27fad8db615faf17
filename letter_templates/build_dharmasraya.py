"""Build the templates of the Dharmasraya SOP (developer script).

    python letter_templates/build_dharmasraya.py            # the three templates
    python letter_templates/build_dharmasraya.py --logo     # also redraw letterheads/dharmasraya.png

Templates (body fields: docs/sops/dharmasraya.md; shared vocabulary: docs/templates.md):

* ``formulir_pengaduan.docx``  Formulir Pengaduan Masyarakat. Generic: any office may use it as
  its intake form, and (with ``body.jawaban``) for an answer written on the form.
* ``pernyataan_puas.docx``     Pernyataan Puas/Tidak Puas of the complainant.
* ``analisis_pengaduan.docx``  Analysis of the cause and the action decided (Tim Penanganan
  Pengaduan, or the Kepala Dinas after escalation); its title is ``letter.hal``.

Layout and helpers come from ``build_templates.py`` (same kop, margins, fonts, signature block).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.shared import Cm

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_templates import (  # noqa: E402
    attachments_value,
    finish_placeholder_logo,
    run,
    ANONIM,
    TEXT_WIDTH_CM,
    add_kop,
    field_table,
    new_document,
    para,
    people_table,
    signature_block,
    table,
    tag,
    title,
)

JUST = WD_ALIGN_PARAGRAPH.JUSTIFY
CENTER = WD_ALIGN_PARAGRAPH.CENTER

def keep_rows_together(t):
    """Rows of a signature table stay on one page, with the paragraph above them."""
    for row in t.rows:
        tr_pr = row._tr.get_or_add_trPr()
        cant = OxmlElement("w:cantSplit")
        tr_pr.insert(0, cant)
        if row is t.rows[-1]:
            continue
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True


# An optional body field: absent, None or "" all read as "not given".
def given(expr: str) -> str:
    return f"({expr} is defined and {expr})"


def section(doc, text):
    para(doc, (text, "b"), keep_next=True, before=6, after=3)



# ---- Formulir Pengaduan Masyarakat -------------------------------------------------------------

def build_formulir_pengaduan():
    doc = new_document("Formulir Pengaduan Masyarakat")
    add_kop(doc)
    title(doc, "FORMULIR PENGADUAN MASYARAKAT", after=2)
    para(doc, "Nomor Register: {{ complaint.register }}", align=CENTER, after=10)

    section(doc, "A.\tDATA PENERIMAAN")
    field_table(doc, [
        ("Nomor Register", ("{{ complaint.register }}", "b")),
        ("Hari/Tanggal", "{{ complaint.received|hari }}, {{ complaint.received|tanggal }}"),
        ("Jam Diterima",
         "{{ complaint.received|jam }} {{ office.zona_waktu if office.zona_waktu is defined "
         "and office.zona_waktu else 'WIB' }}"),
        ("Saluran/Media", "{{ complaint.channel }}"),
        "{%tr if complaint.lapor_id %}",
        ("Nomor Tiket LAPOR!", "{{ complaint.lapor_id }}"),
        "{%tr endif %}",
        "{%tr if " + given("body.kategori") + " %}",
        ("Kategori Pengaduan", "{{ body.kategori }}"),
        "{%tr endif %}",
    ], widths=(4.6, 0.4), after=False)

    section(doc, "B.\tIDENTITAS PENGADU/PELAPOR")
    field_table(doc, [
        ("Nama", ANONIM),
        "{%tr if not complainant.anonymous %}",
        ("Alamat", "{{ complainant.address or '-' }}"),
        ("Telepon/HP", "{{ complainant.phone or '-' }}"),
        ("Pos-el", "{{ complainant.email or '-' }}"),
        "{%tr endif %}",
    ], widths=(4.6, 0.4), after=False)

    section(doc, "C.\tURAIAN PENGADUAN")
    field_table(doc, [
        ("Hal", ("{{ complaint.subject }}", "b")),
        ("Isi Pengaduan", "{{ complaint.content|paragraf }}"),
        ("Lampiran", attachments_value()),
    ], widths=(4.6, 0.4))

    sig = signature_block(
        doc,
        place_date="{{ office.city }}, {{ complaint.received|tanggal }}",
        heading=["Yang menerima,"],
        left={
            "top": ["{% if not complainant.anonymous %}Pengadu/Pelapor,{% endif %}"],
            "bottom": ["{% if not complainant.anonymous %}( {{ complainant.name }} ){% endif %}"],
        },
    )

    sig.rows[1].height = Cm(2.0)  # a hand signature; leaves room for the answer below
    keep_rows_together(sig)

    # Optional answer written on the form (e.g. a Kabid answering information complaints).
    tag(doc, "{%p if " + given("body.jawaban") + " %}")
    section(doc, "D.\tJAWABAN/TANGGAPAN ATAS PENGADUAN")
    para(doc, "{{ body.jawaban|paragraf }}", align=JUST, left=0.75, after=3, keep_next=True)
    widths = [8.0, TEXT_WIDTH_CM - 8.0]
    t = table(doc, widths, rows=3)
    top, space, bottom = t.rows
    para(top.cells[1], "{{ office.city }}, {{ (body.tanggal_jawaban if "
                       + given("body.tanggal_jawaban") + " else today)|tanggal }}")
    para(top.cells[1], "{{ body.penjawab.jabatan|trim|trim(',') if " + given("body.penjawab")
         + " else 'Yang menjawab' }},", reuse=False)
    space.height = Cm(1.8)
    space.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    para(space.cells[1], "")
    cell = bottom.cells[1]
    para(cell, ("{{ body.penjawab.name if " + given("body.penjawab") + " else '(...........................)' }}", "bu"))
    tag(cell, "{%p if " + given("body.penjawab") + " and " + given("body.penjawab.nip") + " %}")
    para(cell, "NIP. {{ body.penjawab.nip }}", reuse=False)
    tag(cell, "{%p endif %}")
    keep_rows_together(t)
    tag(doc, "{%p endif %}")
    return doc


# ---- Pernyataan Puas/Tidak Puas ----------------------------------------------------------------

def build_pernyataan_puas():
    doc = new_document("Pernyataan Puas/Tidak Puas")
    add_kop(doc)
    title(doc, "PERNYATAAN PUAS/TIDAK PUAS", nomor="{{ letter.nomor or '.........................' }}")
    para(doc, "Yang bertanda tangan di bawah ini:", after=4)
    field_table(doc, [
        ("Nama", ANONIM),
        "{%tr if not complainant.anonymous %}",
        ("Alamat", "{{ complainant.address or '-' }}"),
        ("Telepon/HP", "{{ complainant.phone or '-' }}"),
        "{%tr endif %}",
    ], widths=(4.6, 0.4), after=False)
    para(doc,
         "selaku pengadu/pelapor atas pengaduan dengan nomor register {{ complaint.register }} "
         "yang diterima pada tanggal {{ complaint.received|tanggal }} melalui {{ complaint.channel }} "
         "hal {{ complaint.subject }}, setelah menerima penjelasan/penyelesaian dari "
         "{{ body.oleh }}, dengan ini menyatakan:",
         align=JUST, before=6, after=6)

    t = table(doc, [1.2, TEXT_WIDTH_CM - 1.2], rows=2, borders=True)
    for row, label in zip(t.rows, ("Puas", "Tidak Puas")):
        row.height = Cm(0.9)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        for c in row.cells:
            c.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        para(row.cells[0], ("{{ body.pernyataan|centang('%s') }}" % label, "b", 14), align=CENTER)
        para(row.cells[1], (label.upper(), "b"))
        para(row.cells[1], ("atas penjelasan/penyelesaian pengaduan tersebut", "", 10), reuse=False)
    para(doc, "")

    section(doc, "Penjelasan/penyelesaian yang diterima:")
    para(doc, "{{ body.penyelesaian|paragraf }}", align=JUST, left=0.75, after=4)
    tag(doc, "{%p if " + given("body.alasan") + " %}")
    section(doc, "Alasan/catatan pengadu:")
    para(doc, "{{ body.alasan|paragraf }}", align=JUST, left=0.75, after=4)
    tag(doc, "{%p endif %}")
    para(doc,
         "Demikian pernyataan ini dibuat dengan sebenarnya tanpa paksaan dari pihak mana pun, "
         "untuk dipergunakan sebagaimana mestinya.",
         align=JUST, first=1.25, before=6, after=12)
    sig = signature_block(
        doc,
        place_date="{{ office.city }}, {{ (letter.tanggal or today)|tanggal }}",
        heading=["Yang menerima pernyataan,"],
        left={
            "top": ["", "Pengadu/Pelapor,"],
            "bottom": ["( " + ANONIM + " )"],
        },
    )
    keep_rows_together(sig)
    return doc


# ---- Analisis penyebab masalah dan penetapan tindakan ----------------------------------------

def build_analisis_pengaduan():
    doc = new_document("Analisis Pengaduan dan Penetapan Tindakan")
    add_kop(doc)
    title(doc, "{{ letter.hal|upper }}", after=2)
    tag(doc, "{%p if letter.nomor %}")
    para(doc, "Nomor: {{ letter.nomor }}", align=CENTER)
    tag(doc, "{%p endif %}")
    para(doc, "", after=6)
    field_table(doc, [
        ("Nomor Register", "{{ complaint.register }}"),
        ("Tanggal Diterima", "{{ complaint.received|tanggal }} ({{ complaint.channel }})"),
        ("Pengadu/Pelapor", ANONIM),
        ("Hal", "{{ complaint.subject }}"),
        ("Kategori", "{{ body.kategori }}"),
    ], widths=(4.2, 0.4))
    parts = [
        ("Pokok Pengaduan", "body.pokok", False),
        ("Hasil Verifikasi dan Analisis Penyebab Masalah", "body.penyebab", True),
        ("Tindakan yang Ditetapkan", "body.tindakan", True),
        ("Kesimpulan", "body.kesimpulan", True),
    ]
    for heading, expr, required in parts:
        if not required:
            tag(doc, "{%p if " + given(expr) + " %}")
        para(doc, (heading, "b"), keep_next=True, before=6, after=3)
        para(doc, "{{ " + expr + "|paragraf }}", left=0.75, after=3, align=JUST)
        if not required:
            tag(doc, "{%p endif %}")
    tag(doc, "{%p if " + given("body.batas_waktu") + " %}")
    para(doc, ("Batas waktu pelaksanaan: ", "b"), "{{ body.batas_waktu|tanggal }}", before=6)
    tag(doc, "{%p endif %}")
    para(doc, "")

    # Members who took part (Tim Penanganan Pengaduan), when given.
    tag(doc, "{%p if " + given("body.anggota") + " %}")
    para(doc, ("Anggota tim yang melakukan verifikasi:", "b"), keep_next=True, after=3)
    widths = [1.2, 6.0, 5.3, TEXT_WIDTH_CM - 12.5]
    people_table(doc, widths, ("No.", "Nama", "Jabatan", "Paraf"), "for p in body.anggota", "",
                 row_height_cm=0.9)
    para(doc, "")
    tag(doc, "{%p endif %}")
    keep_rows_together(signature_block(doc, place_date="{{ office.city }}, {{ (letter.tanggal or today)|tanggal }}"))
    return doc


BUILDERS = {
    "formulir_pengaduan.docx": build_formulir_pengaduan,
    "pernyataan_puas.docx": build_pernyataan_puas,
    "analisis_pengaduan.docx": build_analisis_pengaduan,
}


# ---- placeholder emblem ----------------------------------------------------------------------

def draw_placeholder_logo(path: Path, size: int = 480) -> None:
    """A neutral emblem: an octagon, a stylised tree over a river, the word LOGO.

    Not any government's coat of arms; an office puts its own logo in its profile.
    """
    from PIL import Image, ImageDraw

    w = h = size
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    d = ImageDraw.Draw(img)
    green, dark, river, gold = (46, 125, 50, 255), (27, 60, 40, 255), (52, 120, 180, 255), (200, 150, 30, 255)
    cx, cy, r = w / 2, h / 2, w * 0.46
    octagon = [(cx + r * math.cos(math.pi / 8 + k * math.pi / 4), cy + r * math.sin(math.pi / 8 + k * math.pi / 4))
               for k in range(8)]
    d.polygon(octagon, fill=(255, 255, 255, 255), outline=dark, width=max(4, w // 40))
    # tree: trunk and three stacked triangles
    d.rectangle([cx - w * 0.03, h * 0.45, cx + w * 0.03, h * 0.58], fill=(110, 70, 30, 255))
    for k, (top, half) in enumerate(((0.14, 0.12), (0.24, 0.17), (0.33, 0.22))):
        d.polygon([(cx, h * top), (cx - w * half, h * (top + 0.16)), (cx + w * half, h * (top + 0.16))],
                  fill=green, outline=dark)
    # river: two waves
    for k in range(2):
        y0 = h * 0.62 + k * h * 0.05
        wave = [(x, y0 + math.sin(x / w * 5 * math.pi) * h * 0.012) for x in range(int(w * 0.2), int(w * 0.8) + 1, 4)]
        d.line(wave, fill=river, width=max(3, w // 60))
    finish_placeholder_logo(img, d, path, colour=gold, top=0.73, font_div=10, stroke_width=1, stroke_fill=dark)


def main(argv: list[str] | None = None) -> int:
    return run(BUILDERS, "dharmasraya.png", draw_placeholder_logo, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
