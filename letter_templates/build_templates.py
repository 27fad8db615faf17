"""Regenerate the default DOCX templates (developer script).

    python letter_templates/build_templates.py            # all templates
    python letter_templates/build_templates.py --logo     # also redraw the placeholder emblem

The committed .docx files are what an office edits in Word or LibreOffice; this script is only the
way the defaults were made, so that a change of layout can be reviewed as code. Running it
overwrites local edits of the shipped templates. The context vocabulary is in docs/templates.md.

Layout: A4, margins 2 cm (top, bottom, right) and 2.5 cm (left), Arial 12 pt (LibreOffice uses the
metric-compatible Liberation Sans). Every document starts with the kop (letterhead) of the office.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

HERE = Path(__file__).resolve().parent
FONT = "Arial"
BODY_PT = 12
TEXT_WIDTH_CM = 16.5  # 21.0 - 2.5 - 2.0

# Signature block: the right column starts 8 cm into the text; the TTE stamp (about 8.5 cm wide,
# 3.5 cm high) fills the blank row between jabatan and name.
SIG_LEFT_CM = 8.0
SIG_RIGHT_CM = TEXT_WIDTH_CM - SIG_LEFT_CM
SIG_SPACE_CM = 3.5

# Checklist of a lembar disposisi, in the usual order.
INSTRUKSI = [
    "Tanggapan dan saran",
    "Proses lebih lanjut",
    "Koordinasikan",
    "Pelajari",
    "Hadiri",
    "Pantau",
    "File",
]
SIFAT_DISPOSISI = ["Sangat Segera", "Segera", "Rahasia"]

ANONIM = "{% if complainant.anonymous %}Anonim{% else %}{{ complainant.name }}{% endif %}"


# ---- low-level helpers ---------------------------------------------------------------------

# Word rejects a file whose property elements are out of schema order (LibreOffice does not
# mind), so raw elements go in with insert_element_before(successors).
TBLPR_SEQ = ("w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
             "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd",
             "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
             "w:tblCaption", "w:tblDescription", "w:tblPrChange")
PPR_SEQ = ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr",
           "w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs",
           "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
           "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
           "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
           "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
           "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
           "w:pPrChange")


def insert_ordered(parent, child, sequence):
    """Insert ``child`` into ``parent`` before the elements that must follow it."""
    tag = child.tag
    name = next(t for t in sequence if qn(t) == tag)
    successors = sequence[sequence.index(name) + 1:]
    existing = parent.find(tag)
    if existing is not None:
        parent.remove(existing)
    parent.insert_element_before(child, *successors)
    return child


def new_document(title: str) -> Document:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2.0)
    section.header_distance, section.footer_distance = Cm(1.0), Cm(1.0)

    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    rfonts = normal.element.rPr.rFonts
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), FONT)
    pf = normal.paragraph_format
    pf.space_before, pf.space_after = Pt(0), Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    # Indonesian documents: language id-ID for spelling and hyphenation in Word/LibreOffice.
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "id-ID")
    lang.set(qn("w:eastAsia"), "id-ID")
    normal.element.rPr.append(lang)

    props = doc.core_properties
    props.title = title
    props.author = "Naskah"
    props.last_modified_by = "Naskah"
    props.comments = "Templat Naskah; kosakata konteks: docs/templates.md"
    props.subject = ""
    props.keywords = ""
    props.created = props.modified = datetime(2026, 1, 1)
    props.revision = 1
    return doc


def _first_empty(container):
    paras = container.paragraphs
    if len(paras) == 1 and not paras[0].text and not paras[0].runs:
        return paras[0]
    return None


def para(container, *runs, align=None, left=None, first=None, before=0, after=0,
         size=None, tabs=(), keep_next=False, line=None, reuse=True):
    """Add a paragraph of runs; a run is "text" or ("text", "biu", size_pt)."""
    p = _first_empty(container) if reuse and hasattr(container, "_tc") else None
    if p is None:
        p = container.add_paragraph()
    pf = p.paragraph_format
    if align is not None:
        p.alignment = align
    if left is not None:
        pf.left_indent = Cm(left)
    if first is not None:
        pf.first_line_indent = Cm(first)
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if keep_next:
        pf.keep_with_next = True
    if line is not None:
        pf.line_spacing = line
    for pos in tabs:
        pf.tab_stops.add_tab_stop(Cm(pos), WD_TAB_ALIGNMENT.LEFT)
    for item in runs:
        if isinstance(item, str):
            text, style, rsize = item, "", size
        else:
            text, style, *rest = item
            rsize = rest[0] if rest else size
        run = p.add_run(text)
        run.bold = "b" in style or None
        run.italic = "i" in style or None
        run.underline = "u" in style or None
        if rsize:
            run.font.size = Pt(rsize)
    return p


def tag(container, text):
    """A paragraph holding only a docxtpl paragraph tag ({%p ... %}); it vanishes on render."""
    return para(container, text, reuse=False)


def add_bookmark(paragraph, name: str, bookmark_id: int) -> None:
    """Append an empty Word bookmark (w:bookmarkStart/End) at the end of ``paragraph``.

    python-docx has no bookmark API; LibreOffice exports bookmarks as PDF named destinations,
    which is how Naskah finds where to put the number, the date and the stamps.
    """
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bookmark_id))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bookmark_id))
    p = paragraph._p
    p.append(start)
    p.append(end)


def table(container, widths_cm, rows=1, borders=False):
    t = container.add_table(rows=rows, cols=len(widths_cm))
    t.style = container.part.document.styles["Table Grid"] if borders else None
    t.alignment = WD_TABLE_ALIGNMENT.LEFT
    t.autofit = False
    tbl_pr = t._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    insert_ordered(tbl_pr, layout, TBLPR_SEQ)
    if not borders:
        _no_borders(tbl_pr)
    # cells keep Word's default 0.19 cm side margins; tables start at the text margin
    ind = OxmlElement("w:tblInd")
    ind.set(qn("w:w"), "0")
    ind.set(qn("w:type"), "dxa")
    insert_ordered(tbl_pr, ind, TBLPR_SEQ)
    grid = t._tbl.tblGrid
    for col, w in zip(grid.findall(qn("w:gridCol")), widths_cm):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in t.rows:
        for cell, w in zip(row.cells, widths_cm):
            cell.width = Cm(w)
    return t


def _no_borders(tbl_pr):
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        e = OxmlElement(f"w:{edge}")
        e.set(qn("w:val"), "nil")
        borders.append(e)
    insert_ordered(tbl_pr, borders, TBLPR_SEQ)


def add_row(t, widths_cm=None):
    row = t.add_row()
    if widths_cm:
        for cell, w in zip(row.cells, widths_cm):
            cell.width = Cm(w)
    return row


def merged(row, start=0, end=None):
    cells = row.cells
    end = len(cells) - 1 if end is None else end
    return cells[start].merge(cells[end]) if end > start else cells[start]


def tag_row(t, text):
    """A table row holding only a docxtpl row tag ({%tr ... %}); it vanishes on render."""
    row = add_row(t)
    para(merged(row), text)
    return row


def people_table(container, widths_cm, headers, loop, last_cell, *, row_height_cm):
    """A bordered table of people: a header row, then one row per person of ``loop`` (a Jinja
    ``for`` over people with ``name`` and ``jabatan``): No., name, jabatan, ``last_cell``."""
    t = table(container, widths_cm, rows=1, borders=True)
    for cell, text in zip(t.rows[0].cells, headers):
        para(cell, (text, "b"), align=WD_ALIGN_PARAGRAPH.CENTER)
    person_rows(t, widths_cm, loop, last_cell, row_height_cm=row_height_cm)
    return t


def person_rows(t, widths_cm, loop, last_cell, *, row_height_cm):
    """The repeated row of a people table: No., ``{{ p.name }}``, ``{{ p.jabatan }}``, ``last_cell``,
    between ``{%tr <loop> %}`` and ``{%tr endfor %}``."""
    tag_row(t, "{%tr " + loop + " %}")
    r = add_row(t, widths_cm)
    r.height = Cm(row_height_cm)
    r.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    for cell in r.cells:
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    para(r.cells[0], "{{ loop.index }}.", align=WD_ALIGN_PARAGRAPH.CENTER)
    para(r.cells[1], "{{ p.name }}")
    para(r.cells[2], "{{ p.jabatan }}")
    para(r.cells[3], last_cell)
    tag_row(t, "{%tr endfor %}")


def bottom_rule(doc):
    """The double rule (thick over thin) under the kop."""
    p = doc.add_paragraph()
    p.paragraph_format.space_after = Pt(10)
    p_pr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "thickThinSmallGap")
    bottom.set(qn("w:sz"), "24")
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "000000")
    bdr.append(bottom)
    insert_ordered(p_pr, bdr, PPR_SEQ)
    run = p.add_run()
    run.font.size = Pt(2)
    return p


# ---- shared blocks ---------------------------------------------------------------------------

def add_kop(doc):
    """Kop surat: logo on the left, government and office name in capitals, contacts, rule."""
    t = table(doc, [2.6, TEXT_WIDTH_CM - 2.6])
    logo_cell, text_cell = t.rows[0].cells
    logo_cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    text_cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    para(logo_cell, "{{ office.logo }}", align=WD_ALIGN_PARAGRAPH.LEFT)
    center = WD_ALIGN_PARAGRAPH.CENTER
    para(text_cell, ("{{ office.government|upper }}", "b", 14), align=center)
    para(text_cell, ("{{ office.name|upper }}", "b", 14), align=center)
    para(text_cell, ("{{ office.address }}", "", 10), align=center, before=2)
    para(
        text_cell,
        (
            "{% if office.phone %}Telepon {{ office.phone }}{% endif %}"
            "{% if office.phone and (office.email or office.website) %}, {% endif %}"
            "{% if office.email %}Pos-el {{ office.email }}{% endif %}"
            "{% if office.email and office.website %}, {% endif %}"
            "{% if office.website %}Laman {{ office.website }}{% endif %}",
            "",
            10,
        ),
        align=center,
    )
    bottom_rule(doc)


def title(doc, text, nomor=None, after=12):
    center = WD_ALIGN_PARAGRAPH.CENTER
    para(doc, (text, "bu", 13), align=center, after=0 if nomor else after, keep_next=True)
    if nomor:
        para(doc, ("Nomor: " + nomor, "", BODY_PT), align=center, after=after)


def attachments_value() -> list[str]:
    """The complaint's attachments as a numbered list, or "-" when there are none."""
    return [
        "{%p if complaint.attachments %}",
        "{%p for a in complaint.attachments %}",
        "{{ loop.index }}. {{ a }}",
        "{%p endfor %}",
        "{%p else %}",
        "-",
        "{%p endif %}",
    ]


def field_table(doc, rows, widths=(4.2, 0.4), after=True):
    """Label : value rows in a borderless table; a row is (label, value) or a raw tag string."""
    w_label, w_colon = widths
    widths_cm = [w_label, w_colon, TEXT_WIDTH_CM - w_label - w_colon]
    t = table(doc, widths_cm, rows=0)
    for item in rows:
        if isinstance(item, str):
            tag_row(t, item)
            continue
        label, value = item
        row = add_row(t, widths_cm)
        para(row.cells[0], label)
        para(row.cells[1], ":")
        cell = row.cells[2]
        if isinstance(value, list):  # several paragraphs (loops with {%p %})
            for v in value:
                if v.startswith("{%p"):
                    tag(cell, v)
                else:
                    para(cell, v, reuse=False)
            # drop the empty first paragraph python-docx created
            first = cell.paragraphs[0]
            if not first.text:
                first._p.getparent().remove(first._p)
        else:
            para(cell, value)
    if after:
        para(doc, "")
    return t


def signature_block(doc, *, place_date=None, heading=(), left=None, bookmarks=False,
                    jabatan="{{ signer.jabatan|trim|trim(',')|paragraf }},"):
    """Signature block on the right half: [place, date], jabatan, blank space, name, pangkat, NIP.

    ``left`` is an optional list of lines for the left column (e.g. the complainant's signature
    on a receipt). With ``bookmarks``, the blank space holds ``naskah_ttd`` (top-left of the TTE
    stamp) and the left cell beside it holds ``naskah_paraf`` (top-left of the paraf boxes).
    """
    widths = [SIG_LEFT_CM, SIG_RIGHT_CM]
    t = table(doc, widths, rows=3)
    top, space, bottom = t.rows
    right = top.cells[1]
    if place_date:
        para(right, place_date)
    for line in heading:
        para(right, line, reuse=not place_date)
    para(right, jabatan, reuse=not (place_date or heading))
    space.height = Cm(SIG_SPACE_CM)
    space.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    p_ttd = para(space.cells[1], "")
    p_paraf = para(space.cells[0], "")
    if bookmarks:
        add_bookmark(p_ttd, "naskah_ttd", 3)
        add_bookmark(p_paraf, "naskah_paraf", 4)
    name_cell = bottom.cells[1]
    para(name_cell, ("{{ signer.name }}", "bu"))
    tag(name_cell, "{%p if signer.pangkat %}")
    para(name_cell, "{{ signer.pangkat }}", reuse=False)
    tag(name_cell, "{%p endif %}")
    para(name_cell, "NIP. {{ signer.nip }}", reuse=False)
    if left:
        for i, line in enumerate(left["top"]):
            para(top.cells[0], line, reuse=i == 0)
        for i, line in enumerate(left["bottom"]):
            para(bottom.cells[0], line, reuse=i == 0)
    return t


def add_footer_text(doc, text, size=8):
    footer = doc.sections[0].footer
    p = footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p_pr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    top.set(qn("w:val"), "single")
    top.set(qn("w:sz"), "4")
    top.set(qn("w:space"), "4")
    top.set(qn("w:color"), "808080")
    bdr.append(top)
    insert_ordered(p_pr, bdr, PPR_SEQ)
    run = p.add_run(text)
    run.font.size = Pt(size)
    run.italic = True


def numbered(container, item_expr, loop_expr, *, left=0.6, after=0, reuse=False):
    """Numbered list from a loop: "1.<tab>item" with a hanging indent."""
    tag(container, "{%p for " + loop_expr + " %}")
    para(container, "{{ loop.index }}.\t" + item_expr, left=left, first=-left,
         tabs=(left,), after=after, align=WD_ALIGN_PARAGRAPH.JUSTIFY, reuse=reuse)
    tag(container, "{%p endfor %}")


# ---- the documents ---------------------------------------------------------------------------

def build_tanda_terima() -> Document:
    doc = new_document("Tanda Terima Pengaduan")
    add_kop(doc)
    title(doc, "TANDA TERIMA PENGADUAN")
    para(doc, "Telah diterima pengaduan masyarakat dengan keterangan sebagai berikut:", after=6)
    field_table(doc, [
        ("Nomor Register", ("{{ complaint.register }}", "b")),
        ("Tanggal Diterima", "{{ complaint.received|hari }}, {{ complaint.received|tanggal }}"),
        ("Jam Diterima",
         "{{ complaint.received|jam }} {{ office.zona_waktu if office.zona_waktu is defined "
         "and office.zona_waktu else 'WIB' }}"),
        ("Saluran Pengaduan", "{{ complaint.channel }}"),
        "{%tr if complaint.lapor_id %}",
        ("Nomor Tiket LAPOR!", "{{ complaint.lapor_id }}"),
        "{%tr endif %}",
        ("Nama Pengadu", ANONIM),
        "{%tr if not complainant.anonymous %}",
        ("Alamat", "{{ complainant.address or '-' }}"),
        ("Telepon", "{{ complainant.phone or '-' }}"),
        ("Pos-el", "{{ complainant.email or '-' }}"),
        "{%tr endif %}",
        ("Hal", "{{ complaint.subject }}"),
        ("Isi Pengaduan", "{{ complaint.content|paragraf }}"),
        ("Lampiran", attachments_value()),
    ], widths=(4.6, 0.4))
    para(doc,
         "Pengaduan tersebut telah dicatat dan akan ditindaklanjuti sesuai dengan standar "
         "operasional prosedur layanan pengaduan. Untuk menanyakan perkembangan penanganannya, "
         "sebutkan nomor register di atas.",
         align=WD_ALIGN_PARAGRAPH.JUSTIFY, after=12)
    signature_block(
        doc,
        place_date="{{ office.city }}, {{ complaint.received|tanggal }}",
        heading=["Yang menerima,"],
        left={
            "top": ["{% if not complainant.anonymous %}Pengadu,{% endif %}"],
            "bottom": ["{% if not complainant.anonymous %}( {{ complainant.name }} ){% endif %}"],
        },
    )
    return doc


def build_telaahan_staf() -> Document:
    doc = new_document("Telaahan Staf")
    add_kop(doc)
    title(doc, "TELAAHAN STAF")
    field_table(doc, [
        ("Kepada", "Yth. {{ body.kepada }}"),
        ("Dari", "{{ body.dari }}"),
        ("Tanggal", "{{ (letter.tanggal or today)|tanggal }}"),
        ("Nomor", "{{ letter.nomor or '-' }}"),
        ("Sifat", "{{ letter.sifat or 'Biasa' }}"),
        ("Lampiran", "{{ letter.lampiran or '-' }}"),
        ("Hal", "{{ letter.hal }}"),
    ], widths=(2.6, 0.4))
    sections = [
        ("Persoalan", "body.persoalan"),
        ("Praanggapan", "body.praanggapan"),
        ("Fakta yang Mempengaruhi", "body.fakta"),
        ("Analisis", "body.analisis"),
        ("Kesimpulan", "body.kesimpulan"),
        ("Saran/Tindakan", "body.saran"),
    ]
    for i, (heading, expr) in enumerate(sections, start=1):
        para(doc, (f"{i}.\t{heading}", "b"), tabs=(0.75,), keep_next=True, before=6, after=3)
        para(doc, "{{ " + expr + "|paragraf }}", left=0.75, after=3,
             align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    para(doc, "")
    signature_block(doc, place_date="{{ office.city }}, {{ (letter.tanggal or today)|tanggal }}")
    return doc


def build_lembar_disposisi() -> Document:
    doc = new_document("Lembar Disposisi")
    add_kop(doc)
    title(doc, "LEMBAR DISPOSISI", after=8)
    lw, vw = 3.1, TEXT_WIDTH_CM / 2 - 3.1
    t = table(doc, [lw, vw, lw, vw], rows=0, borders=True)
    small = 11

    def pair(cell_label, cell_value, label, value):
        para(cell_label, (label, "b"), size=small)
        para(cell_value, value, size=small)

    r = add_row(t)
    pair(r.cells[0], r.cells[1], "Surat dari", ANONIM + " ({{ complaint.channel }})")
    pair(r.cells[2], r.cells[3], "Diterima tgl.", "{{ complaint.received|tanggal }}")
    r = add_row(t)
    pair(r.cells[0], r.cells[1], "Nomor surat", "{{ letter.nomor or '-' }}")
    pair(r.cells[2], r.cells[3], "Nomor agenda", "{{ complaint.register }}")
    r = add_row(t)
    pair(r.cells[0], r.cells[1], "Tanggal surat",
         "{{ (letter.tanggal or complaint.received)|tanggal }}")
    para(r.cells[2], ("Sifat", "b"), size=small)
    for i, label in enumerate(SIFAT_DISPOSISI):
        para(r.cells[3], "{{ body.sifat|centang('%s') }} %s" % (label, label), size=small)
    r = add_row(t)
    pair(r.cells[0], merged(r, 1), "Perihal", "{{ letter.hal or complaint.subject }}")

    r = add_row(t)
    left, right = merged(r, 0, 1), merged(r, 2, 3)
    para(left, ("Diteruskan kepada Sdr.:", "b"), size=small, after=2)
    tag(left, "{%p for d in body.diteruskan %}")
    para(left, "{{ loop.index }}.\t{{ d.jabatan }}{% if d.utama %} (penanggung jawab){% endif %}",
         left=0.6, first=-0.6, tabs=(0.6,), size=small, reuse=False)
    tag(left, "{%p endfor %}")
    para(right, ("Dengan hormat harap:", "b"), size=small, after=2)
    for label in INSTRUKSI:
        para(right, "{{ body.instruksi|centang('%s') }} %s" % (label, label), size=small,
             reuse=False)

    r = add_row(t)
    r.height = Cm(3.0)
    r.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    cell = merged(r)
    para(cell, ("Catatan:", "b"), size=small, after=2)
    para(cell, "{{ body.catatan|paragraf }}", size=small, reuse=False,
         align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    para(cell, ("Batas waktu: ", "b"),
         "{{ body.batas_waktu|tanggal if body.batas_waktu else '-' }}",
         size=small, before=6, reuse=False)

    r = add_row(t)
    left, right = merged(r, 0, 1), merged(r, 2, 3)
    para(left, ("Paraf dan tanggal", "b"), size=small)
    para(left, "Tanggal: {{ today|tanggal }}", size=small, reuse=False, before=4)
    para(right, "{{ signer.jabatan|trim|trim(',')|paragraf }},", size=small)
    for _ in range(3):
        para(right, "", reuse=False)
    para(right, ("{{ signer.name }}", "bu"), size=small, reuse=False)
    para(right, "NIP. {{ signer.nip }}", size=small, reuse=False)
    return doc


def build_surat_tugas() -> Document:
    doc = new_document("Surat Tugas")
    add_kop(doc)
    title(doc, "SURAT TUGAS", nomor="{{ letter.nomor or '.........................' }}")
    widths = [2.3, 0.4, 0.8, 3.6, 0.4, TEXT_WIDTH_CM - 7.5]
    t = table(doc, widths, rows=0)
    just = WD_ALIGN_PARAGRAPH.JUSTIFY

    tag_row(t, "{%tr for x in body.dasar %}")
    r = add_row(t, widths)
    para(r.cells[0], "{% if loop.first %}Dasar{% endif %}")
    para(r.cells[1], "{% if loop.first %}:{% endif %}")
    para(r.cells[2], "{{ loop.index }}.")
    para(merged(r, 3), "{{ x }}", align=just, after=3)
    tag_row(t, "{%tr endfor %}")

    r = add_row(t, widths)
    para(merged(r), ("MEMBERI TUGAS", "b"), align=WD_ALIGN_PARAGRAPH.CENTER, before=12, after=12)

    tag_row(t, "{%tr for p in body.petugas %}")
    for i, (label, value) in enumerate([
        ("Nama", ("{{ p.name }}", "b")),
        ("NIP", "{{ p.nip or '-' }}"),
        ("Pangkat/Gol.", "{{ p.pangkat or '-' }}"),
        ("Jabatan", "{{ p.jabatan }}"),
    ]):
        r = add_row(t, widths)
        if i == 0:
            para(r.cells[0], "{% if loop.first %}Kepada{% endif %}")
            para(r.cells[1], "{% if loop.first %}:{% endif %}")
            para(r.cells[2], "{{ loop.index }}.")
        para(r.cells[3], label)
        para(r.cells[4], ":")
        para(r.cells[5], value, after=6 if i == 3 else 0)
    tag_row(t, "{%tr endfor %}")

    r = add_row(t, widths)
    para(merged(r), "", after=6)
    tag_row(t, "{%tr for x in body.untuk %}")
    r = add_row(t, widths)
    para(r.cells[0], "{% if loop.first %}Untuk{% endif %}")
    para(r.cells[1], "{% if loop.first %}:{% endif %}")
    para(r.cells[2], "{{ loop.index }}.")
    para(merged(r, 3), "{{ x }}", align=just, after=3)
    tag_row(t, "{%tr endfor %}")
    for label, value in (("Waktu", "{{ body.waktu|waktu }}"), ("Tempat", "{{ body.tempat }}")):
        r = add_row(t, widths)
        para(merged(r, 2, 3), label)
        para(r.cells[4], ":")
        para(r.cells[5], value)

    para(doc, "")
    para(doc, "Demikian surat tugas ini dibuat untuk dilaksanakan dengan penuh tanggung jawab "
              "dan melaporkan hasilnya kepada pemberi tugas.",
         align=just, first=1.25, after=12)
    signature_block(
        doc,
        place_date="{{ office.city }}, {{ (letter.tanggal or today)|tanggal }}",
    )
    return doc


def build_bap() -> Document:
    doc = new_document("Berita Acara Pemeriksaan Lapangan")
    add_kop(doc)
    title(doc, "BERITA ACARA PEMERIKSAAN LAPANGAN",
          nomor="{{ letter.nomor or '.........................' }}")
    just = WD_ALIGN_PARAGRAPH.JUSTIFY
    para(doc,
         "Pada hari ini {{ body.tanggal|tanggal_terbilang }} ({{ body.tanggal|tanggal_angka }}), "
         "bertempat di {{ body.tempat }}, kami yang bertanda tangan di bawah ini:",
         align=just, first=1.25, after=6)
    widths = [0.8, 2.6, 0.4, TEXT_WIDTH_CM - 3.8]
    t = table(doc, widths, rows=0)
    tag_row(t, "{%tr for p in body.pihak %}")
    r = add_row(t, widths)
    para(r.cells[0], "{{ loop.index }}.")
    para(r.cells[1], "Nama")
    para(r.cells[2], ":")
    para(r.cells[3], ("{{ p.name }}", "b"))
    r = add_row(t, widths)
    para(r.cells[1], "Jabatan")
    para(r.cells[2], ":")
    para(r.cells[3], "{{ p.jabatan }}", after=4)
    tag_row(t, "{%tr endfor %}")
    para(doc,
         "telah melakukan pemeriksaan lapangan atas pengaduan masyarakat nomor register "
         "{{ complaint.register }} hal {{ complaint.subject }}, dengan hasil sebagai berikut:",
         align=just, before=6, after=6)
    para(doc, ("Hasil pemeriksaan", "b"), keep_next=True, after=3)
    para(doc, "{{ body.temuan|paragraf }}", align=just, left=0.75, after=6)
    para(doc, ("Kesimpulan", "b"), keep_next=True, after=3)
    para(doc, "{{ body.kesimpulan|paragraf }}", align=just, left=0.75, after=6)
    para(doc,
         "Demikian berita acara ini dibuat dengan sebenarnya untuk dapat dipergunakan "
         "sebagaimana mestinya.",
         align=just, first=1.25, after=12)
    para(doc, "{{ office.city }}, {{ body.tanggal|tanggal }}", align=WD_ALIGN_PARAGRAPH.RIGHT,
         after=6)

    widths = [1.2, 5.5, 5.3, TEXT_WIDTH_CM - 12.0]
    t = table(doc, widths, rows=1, borders=True)
    for cell, text in zip(t.rows[0].cells, ("No.", "Nama", "Jabatan", "Tanda Tangan")):
        para(cell, (text, "b"), align=WD_ALIGN_PARAGRAPH.CENTER)
    groups = [("Pihak yang memeriksa", "body.pihak", "body.pihak"),
              ("Saksi-saksi", "body.saksi", "body.saksi is defined and body.saksi")]
    for heading, expr, condition in groups:
        tag_row(t, "{%tr if " + condition + " %}")
        r = add_row(t, widths)
        para(merged(r), (heading, "b"))
        person_rows(t, widths, "for p in " + expr, "{{ loop.index }}. ....................", row_height_cm=1.4)
        tag_row(t, "{%tr endif %}")
    return doc


def build_surat_jawaban() -> Document:
    doc = new_document("Surat Jawaban Pengaduan")
    add_kop(doc)
    # Header: Nomor/Sifat/Lampiran/Hal on the left, "<city>, <date>" on the line of Nomor.
    # Nomor and date are not text: they are PDF form fields filled at the TTE, placed at the
    # bookmarks naskah_nomor and naskah_tanggal.
    widths = [2.3, 0.4, 7.4, TEXT_WIDTH_CM - 10.1]
    t = table(doc, widths, rows=4)
    rows = [("Nomor", None), ("Sifat", "{{ letter.sifat or 'Biasa' }}"),
            ("Lampiran", "{{ letter.lampiran or '-' }}"), ("Hal", ("{{ letter.hal }}", "b"))]
    for row, (label, value) in zip(t.rows, rows):
        para(row.cells[0], label)
        para(row.cells[1], ":")
        if value is None:
            add_bookmark(para(row.cells[2], ""), "naskah_nomor", 1)
        else:
            para(row.cells[2], value)
    # The TTE writes "<city>, <date>" here; the draft shows the line empty.
    add_bookmark(para(t.rows[0].cells[3], ""), "naskah_tanggal", 2)

    para(doc, "")
    para(doc, "")
    # Addressee lines: "Yth." before the first (the name), the rest (address) aligned under it.
    tag(doc, "{%p for k in letter.kepada %}")
    para(doc, "{% if loop.first %}Yth.{% endif %}\t{{ k }}", left=1.0, first=-1.0, tabs=(1.0,))
    tag(doc, "{%p endfor %}")
    para(doc, "di -")
    para(doc, "{{ letter.di if letter.di is defined and letter.di else 'Tempat' }}", left=1.0,
         after=12)

    just = WD_ALIGN_PARAGRAPH.JUSTIFY
    para(doc,
         "Menindaklanjuti pengaduan yang kami terima pada tanggal "
         "{{ complaint.received|tanggal }} melalui {{ complaint.channel }} dengan nomor register "
         "{{ complaint.register }}{% if complaint.lapor_id %} (LAPOR! nomor tiket "
         "{{ complaint.lapor_id }}){% endif %} hal {{ complaint.subject }}, dengan ini kami "
         "sampaikan hal-hal sebagai berikut:",
         align=just, first=1.25, after=6, line=1.15)
    para(doc, "{{ body.isi|paragraf }}", align=just, first=1.25, after=6, line=1.15)
    para(doc,
         "{{ body.penutup if body.penutup is defined and body.penutup else 'Demikian kami "
         "sampaikan. Atas perhatian dan kerja samanya, kami ucapkan terima kasih.' }}",
         align=just, first=1.25, after=18, line=1.15)
    signature_block(doc, bookmarks=True)
    tag(doc, "{%p if letter.tembusan %}")
    para(doc, ("Tembusan:", "", 11), before=12)
    tag(doc, "{%p for x in letter.tembusan %}")
    para(doc, ("{{ loop.index }}.\t{{ x }}", "", 11), left=0.6, first=-0.6, tabs=(0.6,))
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    add_footer_text(doc, "{{ office.tte_footer }}")
    return doc


BUILDERS = {
    "tanda_terima.docx": build_tanda_terima,
    "telaahan_staf.docx": build_telaahan_staf,
    "lembar_disposisi.docx": build_lembar_disposisi,
    "surat_tugas.docx": build_surat_tugas,
    "bap.docx": build_bap,
    "surat_jawaban.docx": build_surat_jawaban,
}


# ---- placeholder emblem ----------------------------------------------------------------------

def finish_placeholder_logo(img, d, path: Path, *, colour, top: float, font_div: int, **text_style) -> None:
    """The word LOGO under an emblem, then save: every placeholder letterhead ends this way."""
    from PIL import ImageFont

    w, h = img.size
    try:
        font = ImageFont.load_default(size=w // font_div)
    except TypeError:  # Pillow < 10.1
        font = ImageFont.load_default()
    box = d.textbbox((0, 0), "LOGO", font=font)
    d.text(((w - (box[2] - box[0])) / 2, h * top), "LOGO", fill=colour, font=font, **text_style)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, optimize=True)


def draw_placeholder_logo(path: Path, size: int = 480) -> None:
    """A neutral emblem (shield, star, waves, the word LOGO). Not any government's arms."""
    from PIL import Image, ImageDraw

    w, h = size, int(size * 1.2)
    img = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    d = ImageDraw.Draw(img)
    navy, gold, sea = (31, 58, 96, 255), (212, 160, 23, 255), (64, 132, 186, 255)
    m = w // 16
    # shield: flat top, straight sides, pointed bottom
    shield = [(m, m), (w - m, m), (w - m, int(h * 0.62)), (w // 2, h - m), (m, int(h * 0.62))]
    d.polygon(shield, fill=(255, 255, 255, 255), outline=navy, width=max(4, w // 40))
    # five-pointed star
    import math

    cx, cy, r_out, r_in = w / 2, h * 0.27, w * 0.18, w * 0.075
    pts = []
    for i in range(10):
        r = r_out if i % 2 == 0 else r_in
        a = -math.pi / 2 + i * math.pi / 5
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    d.polygon(pts, fill=gold, outline=navy)
    # three waves
    for k in range(3):
        y0 = h * 0.46 + k * h * 0.065
        wave = [(x, y0 + math.sin(x / w * 4 * math.pi) * h * 0.015)
                for x in range(int(w * 0.22), int(w * 0.78) + 1, 4)]
        d.line(wave, fill=sea, width=max(3, w // 60))
    finish_placeholder_logo(img, d, path, colour=navy, top=0.66, font_div=11)


def run(builders, logo_name: str, draw_logo, description: str, argv: list[str] | None = None) -> int:
    """Command line shared by every template builder: write the templates, draw a missing logo."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: here)")
    parser.add_argument("--logo", action="store_true", help=f"redraw letterheads/{logo_name}")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, build in builders.items():
        build().save(args.out / name)
        print(f"wrote {args.out / name}")
    logo = HERE / "letterheads" / logo_name
    if args.logo or not logo.exists():
        draw_logo(logo)
        print(f"wrote {logo}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(BUILDERS, "pangkalpinang.png", draw_placeholder_logo, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
