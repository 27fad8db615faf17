"""Templates of the Kutai Kartanegara SOP (developer script): undangan peninjauan, notulen, logo.

    python letter_templates/build_kutai_kartanegara.py           # both templates
    python letter_templates/build_kutai_kartanegara.py --logo    # also redraw the placeholder emblem

Same conventions as ``build_templates.py`` (whose helpers this imports, unchanged): A4, margins
2 cm / 2.5 cm left, Arial 12 pt, the kop first. The committed .docx files are what an office edits;
this script only shows how the defaults were made. The complaint form itself
(``formulir_pengaduan.docx``) is a shared template and is not built here.

Context fields (besides the common vocabulary of docs/templates.md):

undangan_peninjauan.docx (a numbered letter, nomor given at generation)
    body.tanggal   date of the review (printed as day and date)
    body.waktu     str, e.g. "09.00 WITA s.d. selesai"
    body.tempat    str, the meeting point / place reviewed
    body.acara     str, the agenda
    body.undangan  list of invitees: {jabatan, instansi (optional)} or an official's id
notulen.docx (minutes of the meeting on the review's results)
    body.topik     str (optional; default: the complaint's subject)
    body.tanggal   date of the meeting (day and date)
    body.waktu     str, when it opened ("13.30 WITA")
    body.selesai   str, when it closed ("15.00 WITA")
    body.tempat    str
    body.pimpinan  {name, jabatan, nip (optional)}: the chair
    body.peserta   list of {name, jabatan} or officials' ids: attendance list
    body.pembahasan, body.keputusan   multi-line str
    signer         the note-taker (notulis): the step's official
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.shared import Cm

try:
    from letter_templates.build_templates import (
        finish_placeholder_logo, run,
        TEXT_WIDTH_CM, add_kop, field_table, new_document, para,
        people_table, signature_block, tag, table, title,
    )
except ImportError:  # run as a script from letter_templates/
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from build_templates import (  # type: ignore[no-redef]
        finish_placeholder_logo, run,
        TEXT_WIDTH_CM, add_kop, field_table, new_document, para,
        people_table, signature_block, tag, table, title,
    )

JUST = WD_ALIGN_PARAGRAPH.JUSTIFY
CENTER = WD_ALIGN_PARAGRAPH.CENTER
DOTS = "........................."


def build_undangan_peninjauan():
    """Surat undangan peninjauan lapangan: a numbered letter with day, date, time, place, agenda."""
    doc = new_document("Surat Undangan Peninjauan Lapangan")
    add_kop(doc)
    widths = [2.3, 0.4, 7.0, TEXT_WIDTH_CM - 9.7]
    t = table(doc, widths, rows=4)
    rows = [("Nomor", "{{ letter.nomor or '%s' }}" % DOTS), ("Sifat", "{{ letter.sifat or 'Biasa' }}"),
            ("Lampiran", "{{ letter.lampiran or '-' }}"), ("Hal", ("{{ letter.hal }}", "b"))]
    for row, (label, value) in zip(t.rows, rows):
        para(row.cells[0], label)
        para(row.cells[1], ":")
        para(row.cells[2], value)
    para(t.rows[0].cells[3], "{{ office.city }}, {{ (letter.tanggal or today)|tanggal }}")

    # The invitees are the addressees: "Kepada Yth. 1. ... 2. ... di - Tempat".
    para(doc, "")
    para(doc, "Kepada")
    tag(doc, "{%p for u in body.undangan %}")
    para(doc, "{% if loop.first %}Yth.{% endif %}\t{{ loop.index }}.\t{{ u.jabatan }}"
              "{% if u.instansi is defined and u.instansi %}, {{ u.instansi }}{% endif %}",
         left=1.6, first=-1.6, tabs=(1.0, 1.6))
    tag(doc, "{%p endfor %}")
    para(doc, "di -")
    para(doc, "Tempat", left=1.0, after=12)

    para(doc,
         "Sehubungan dengan pengaduan masyarakat yang kami terima pada tanggal "
         "{{ complaint.received|tanggal }} melalui {{ complaint.channel }} dengan nomor register "
         "{{ complaint.register }} hal {{ complaint.subject }}, diperlukan peninjauan ke lapangan "
         "bersama dinas terkait. Untuk itu kami mengundang Bapak/Ibu untuk hadir pada:",
         align=JUST, first=1.25, after=6, line=1.15)
    field_table(doc, [
        ("Hari, tanggal", "{{ body.tanggal|hari }}, {{ body.tanggal|tanggal }}"),
        ("Waktu", "{{ body.waktu }}"),
        ("Tempat", "{{ body.tempat }}"),
        ("Acara", "{{ body.acara }}"),
    ], widths=(3.2, 0.4))
    para(doc,
         "Mengingat pentingnya acara tersebut, kami mohon kehadiran Bapak/Ibu tepat pada waktunya. "
         "Demikian undangan ini kami sampaikan, atas perhatian dan kehadirannya kami ucapkan "
         "terima kasih.",
         align=JUST, first=1.25, after=18, line=1.15)
    sig = signature_block(doc)
    sig.rows[1].height = Cm(2.5)  # signed by hand (no TTE stamp): the usual blank space
    keep_rows_together(sig)
    tag(doc, "{%p if letter.tembusan %}")
    para(doc, ("Tembusan:", "", 11), before=8)
    tag(doc, "{%p for x in letter.tembusan %}")
    para(doc, ("{{ loop.index }}.\t{{ x }}", "", 11), left=0.6, first=-0.6, tabs=(0.6,))
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    return doc


def keep_rows_together(t):
    """Rows of a signature table stay on one page (no row split, each row kept with the next)."""
    for row in t.rows:
        row._tr.get_or_add_trPr().insert(0, OxmlElement("w:cantSplit"))
        if row is t.rows[-1]:
            continue
        for cell in row.cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_with_next = True


def _person_rows(doc, rows):
    return field_table(doc, rows, widths=(4.2, 0.4))


def build_notulen():
    """Notulen rapat hasil peninjauan lapangan, with its attendance list on a page of its own."""
    doc = new_document("Notulen Rapat Hasil Peninjauan Lapangan")
    add_kop(doc)
    title(doc, "NOTULEN RAPAT HASIL PENINJAUAN LAPANGAN")
    _person_rows(doc, [
        ("Topik", "{{ body.topik if body.topik is defined and body.topik else complaint.subject }}"),
        ("Nomor register", "{{ complaint.register }}"),
        ("Hari, tanggal", "{{ body.tanggal|hari }}, {{ body.tanggal|tanggal }}"),
        ("Waktu", "{{ body.waktu }}"),
        ("Tempat", "{{ body.tempat }}"),
        ("Pimpinan rapat", "{{ body.pimpinan.name }} ({{ body.pimpinan.jabatan }})"),
        ("Notulis", "{{ signer.name }} ({{ signer.jabatan }})"),
        ("Peserta", [
            "{%p for p in body.peserta %}",
            "{{ loop.index }}. {{ p.name }}, {{ p.jabatan }}",
            "{%p endfor %}",
        ]),
    ])
    for i, (heading, expr) in enumerate((("Pembahasan", "body.pembahasan"),
                                         ("Keputusan/kesimpulan", "body.keputusan")), start=1):
        para(doc, (f"{i}.\t{heading}", "b"), tabs=(0.75,), keep_next=True, before=6, after=3)
        para(doc, "{{ " + expr + "|paragraf }}", left=0.75, after=3, align=JUST)
    para(doc, "Rapat ditutup pukul {{ body.selesai }}.", before=6, after=12, align=JUST, keep_next=True)

    # Signatures: the chair on the left, the note-taker (the step's official) on the right.
    half = TEXT_WIDTH_CM / 2
    t = table(doc, [half, half], rows=3)
    top, space, bottom = t.rows
    para(top.cells[0], "", align=CENTER)
    para(top.cells[0], "Pimpinan Rapat,", align=CENTER, reuse=False)
    para(top.cells[1], "{{ office.city }}, {{ body.tanggal|tanggal }}", align=CENTER)
    para(top.cells[1], "Notulis,", align=CENTER, reuse=False)
    space.height = Cm(2.5)
    space.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    para(bottom.cells[0], ("{{ body.pimpinan.name }}", "bu"), align=CENTER)
    para(bottom.cells[0], "{% if body.pimpinan.nip is defined and body.pimpinan.nip %}"
                          "NIP. {{ body.pimpinan.nip }}{% endif %}", align=CENTER, reuse=False)
    para(bottom.cells[1], ("{{ signer.name }}", "bu"), align=CENTER)
    para(bottom.cells[1], "NIP. {{ signer.nip }}", align=CENTER, reuse=False)
    keep_rows_together(t)

    # Attendance list (daftar hadir) on a new page.
    heading = para(doc, ("DAFTAR HADIR", "bu", 13), align=CENTER, after=4, keep_next=True)
    heading.paragraph_format.page_break_before = True
    para(doc, "Rapat hasil peninjauan lapangan, {{ body.tanggal|hari }}, {{ body.tanggal|tanggal }}, "
              "{{ body.tempat }}", align=CENTER, after=12)
    widths = [1.2, 5.5, 5.3, TEXT_WIDTH_CM - 12.0]
    people_table(doc, widths, ("No.", "Nama", "Jabatan/Instansi", "Tanda Tangan"), "for p in body.peserta",
                 "{{ loop.index }}. ....................", row_height_cm=1.2)
    return doc


BUILDERS = {
    "undangan_peninjauan.docx": build_undangan_peninjauan,
    "notulen.docx": build_notulen,
}


def draw_placeholder_logo(path: Path, size: int = 480) -> None:
    """A neutral emblem (octagon, river, three stars, LOGO). Not the regency's coat of arms."""
    from PIL import Image, ImageDraw

    w = h = size
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    d = ImageDraw.Draw(img)
    green, gold, river = (28, 94, 62, 255), (214, 164, 30, 255), (52, 120, 176, 255)
    cx, cy, r = w / 2, h / 2, w * 0.46
    octagon = [(cx + r * math.cos(math.pi / 8 + k * math.pi / 4), cy + r * math.sin(math.pi / 8 + k * math.pi / 4))
               for k in range(8)]
    d.polygon(octagon, fill=(255, 255, 255, 255), outline=green, width=max(4, w // 40))
    inner = [(cx + (x - cx) * 0.86, cy + (y - cy) * 0.86) for x, y in octagon]
    d.line(inner + inner[:1], fill=green, width=max(2, w // 120))
    for k, dx in enumerate((-0.17, 0.0, 0.17)):  # three small stars in an arc
        sx, sy = cx + dx * w, h * (0.26 if k == 1 else 0.30)
        pts = []
        for i in range(10):
            rr = w * (0.055 if i % 2 == 0 else 0.022)
            a = -math.pi / 2 + i * math.pi / 5
            pts.append((sx + rr * math.cos(a), sy + rr * math.sin(a)))
        d.polygon(pts, fill=gold, outline=green)
    for k in range(2):  # a winding river
        y0 = h * 0.46 + k * h * 0.07
        wave = [(x, y0 + math.sin(x / w * 3 * math.pi) * h * 0.025) for x in range(int(w * 0.2), int(w * 0.8) + 1, 4)]
        d.line(wave, fill=river, width=max(4, w // 48))
    finish_placeholder_logo(img, d, path, colour=green, top=0.62, font_div=10)


def main(argv: list[str] | None = None) -> int:
    return run(BUILDERS, "kutai-kartanegara.png", draw_placeholder_logo, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
