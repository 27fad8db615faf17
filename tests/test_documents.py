"""Rendering DOCX templates (correspondence.documents) and the shipped templates."""
from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from zipfile import ZipFile

import pytest
from docx import Document
from docx.oxml.ns import qn
from lxml import etree

from correspondence.documents import TEMPLATE_FILES, render_docx
from correspondence.errors import TemplateError
from letter_templates import TEMPLATE_DIR

LOGO = TEMPLATE_DIR / "letterheads" / "pangkalpinang.png"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

# What a hostile (or merely careless) complainant may type: template syntax, markup, raw
# WordprocessingML, a CDATA end, docxtpl's own escape sequence, a control character (BEL),
# newlines, an emoji, right-to-left text.
HOSTILE_LINES = [
    "Saya minta {{ 7*7 }} dan {% for x in range(3) %}ulang{% endfor %} {# komentar #}",
    "<b>&amp;</b> & <script>alert(1)</script> \"kutip\" 'tunggal' 100% #1",
    '<w:p><w:r><w:t>SUNTIK</w:t></w:r></w:p> ]]> <![CDATA[x]]> {_{ y }_} {%p if 1 %}',
    "bel\x07lonceng, emoji 😀🇮🇩, Arab مرحبا بالعالم, Ibrani שלום",
]
HOSTILE = "\n".join(HOSTILE_LINES)
# What must appear, paragraph by paragraph (the BEL is dropped: XML cannot carry it).
HOSTILE_EXPECTED = [line.replace("\x07", "") for line in HOSTILE_LINES]
HOSTILE_NAME = "Budi {{ 7*7 }} <w:t>&lt;x&gt;</w:t>\x00\x1f ]]> عبد"
HOSTILE_NAME_EXPECTED = "Budi {{ 7*7 }} <w:t>&lt;x&gt;</w:t> ]]> عبد"


def sample_context(**overrides) -> dict:
    ctx = {
        "office": {
            "government": "Pemerintah Kota Pangkalpinang",
            "name": "Dinas Penanaman Modal, Pelayanan Terpadu Satu Pintu dan Tenaga Kerja",
            "unit": "Bidang Pengawasan dan Pengendalian",
            "address": "Jl. Jenderal Sudirman No. 1, Kota Pangkalpinang 33129",
            "phone": "0852-4660-5953",
            "email": "dpmpstpnaker@pangkalpinangkota.go.id",
            "website": "dpmptspnaker.pangkalpinangkota.go.id",
            "city": "Pangkalpinang",
            "logo": LOGO,
            "tte_footer": "Dokumen ini telah ditandatangani secara elektronik menggunakan "
                          "sertifikat elektronik yang diterbitkan oleh Balai Besar Sertifikasi "
                          "Elektronik (BSrE), BSSN",
        },
        "complaint": {
            "register": "0012/PGD/DPMPTSP-NAKER/2026",
            "received": datetime(2026, 11, 16, 9, 5),
            "channel": "LAPOR!",
            "subject": "Izin usaha tidak kunjung terbit",
            "content": "Izin usaha saya belum terbit.\nMohon ditindaklanjuti.",
            "attachments": ["Foto lokasi.jpg", "Salinan KTP.pdf"],
            "lapor_id": "5123456",
        },
        "complainant": {
            "anonymous": False,
            "name": "Budi Santoso",
            "nik": "1971010101010001",
            "address": "Jl. Merdeka No. 5, Pangkalpinang",
            "phone": "0812-0000-0000",
            "email": "budi@example.com",
        },
        "letter": {
            "nomor": "000.8.3.4/0057/DPMPTSP-NAKER/2026",
            "tanggal": date(2026, 11, 23),
            "sifat": "Biasa",
            "lampiran": "-",
            "hal": "Jawaban Pengaduan",
            "kepada": ["Sdr. Budi Santoso"],
            "tembusan": ["Yth. Wali Kota Pangkalpinang (sebagai laporan)", "Arsip"],
        },
        "signer": {
            "jabatan": "Kepala Dinas Penanaman Modal, Pelayanan Terpadu Satu Pintu dan "
                       "Tenaga Kerja",
            "name": "Yan Rizana, ST., MSi",
            "pangkat": "Pembina Tingkat I (IV/b)",
            "nip": "19760123 200501 1 006",
        },
        "body": {
            # telaahan staf
            "kepada": "Kepala Dinas",
            "dari": "Sub Koordinator Pengaduan",
            "persoalan": "Pengadu menyampaikan bahwa izin usaha belum terbit.",
            "praanggapan": "Permohonan telah lengkap.",
            "fakta": "Berkas diterima 1 Oktober 2026.",
            "analisis": "Keterlambatan karena verifikasi teknis.",
            "kesimpulan": "Perlu pengecekan lapangan.",
            "saran": "Menugaskan Tim Lapangan.",
            # lembar disposisi
            "sifat": "Segera",
            "diteruskan": [
                {"jabatan": "Kepala Bidang Pengawasan dan Pengendalian", "utama": True},
                {"jabatan": "Sekretaris", "utama": False},
            ],
            "instruksi": ["Proses lebih lanjut", "Pantau"],
            "catatan": "Selesaikan sebelum batas waktu.",
            "batas_waktu": date(2026, 11, 24),
            # surat tugas
            "dasar": [
                "Peraturan Presiden Nomor 76 Tahun 2013 tentang Pengelolaan Pengaduan "
                "Pelayanan Publik",
                "Disposisi Kepala Dinas tanggal 17 November 2026",
            ],
            "petugas": [
                {"name": "Agus Salim, S.E.", "nip": "19880721 201101 1 003",
                 "pangkat": "Penata (III/c)", "jabatan": "Analis Pengawasan"},
                {"name": "Fitri Handayani, S.T.", "nip": "19900930 201503 2 002",
                 "pangkat": "Penata Muda Tingkat I (III/b)",
                 "jabatan": "Pengawas Penanaman Modal"},
            ],
            "untuk": ["Melakukan monitoring lapangan atas pengaduan tersebut",
                      "Melaporkan hasilnya dalam bentuk berita acara"],
            "waktu": date(2026, 11, 21),
            "tempat": "Kelurahan Bukit Besar, Pangkalpinang",
            # BAP
            "tanggal": date(2026, 11, 21),
            "pihak": [{"name": "Agus Salim, S.E.", "jabatan": "Analis Pengawasan"},
                      {"name": "Fitri Handayani, S.T.", "jabatan": "Pengawas Penanaman Modal"}],
            "temuan": "Lokasi usaha telah beroperasi.\nPapan nama terpasang.",
            "saksi": [{"name": "Slamet", "jabatan": "Ketua RT 03"}],
            # surat jawaban
            "isi": "Permohonan izin Saudara sedang dalam verifikasi teknis.\n\n"
                   "Kami akan menyelesaikannya paling lambat 30 November 2026.",
            "penutup": "",
        },
        "today": date(2026, 11, 21),
    }
    for key, value in overrides.items():
        section, _, field = key.partition("__")
        if field:
            ctx[section][field] = value
        else:
            ctx[section] = value
    return ctx


def hostile_context() -> dict:
    ctx = sample_context()
    ctx["complaint"]["content"] = HOSTILE
    ctx["complaint"]["subject"] = HOSTILE_LINES[0]
    ctx["complainant"]["name"] = HOSTILE_NAME
    for key in ("persoalan", "temuan", "isi", "catatan", "fakta"):
        ctx["body"][key] = HOSTILE
    ctx["body"]["pihak"][0]["name"] = HOSTILE_NAME
    ctx["letter"]["kepada"] = [HOSTILE_NAME]
    ctx["letter"]["hal"] = HOSTILE_LINES[2]
    return ctx


# ---- reading a DOCX back -------------------------------------------------------------------

def _block_texts(element) -> list[str]:
    """Text of every paragraph under ``element`` (body, cell, header), tables included."""
    out = []
    for p in element.iter(W + "p"):
        out.append("".join(
            (t.text or "") if t.tag == W + "t" else "\t"
            for t in p.iter(W + "t", W + "tab")
            if t.getparent().tag == W + "r"  # not the tab stops in w:pPr/w:tabs
        ))
    return out


def paragraphs(data: bytes) -> list[str]:
    doc = Document(BytesIO(data))
    texts = _block_texts(doc.element.body)
    for section in doc.sections:
        for part in (section.header, section.footer):
            if not part.is_linked_to_previous:  # reading ._element would add a definition
                texts += _block_texts(part._element)
    return texts


def full_text(data: bytes) -> str:
    return "\n".join(paragraphs(data))


def document_xml(data: bytes) -> bytes:
    with ZipFile(BytesIO(data)) as z:
        return z.read("word/document.xml")


def render(key: str, ctx: dict | None = None) -> bytes:
    return render_docx(TEMPLATE_DIR / TEMPLATE_FILES[key], ctx or sample_context())


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return {key: render(key) for key in TEMPLATE_FILES}


@pytest.fixture(scope="module")
def rendered_hostile() -> dict[str, bytes]:
    return {key: render(key, hostile_context()) for key in TEMPLATE_FILES}


# ---- the shipped templates -----------------------------------------------------------------

def test_every_template_file_exists():
    assert set(TEMPLATE_FILES) == {"tanda_terima", "telaahan_staf", "lembar_disposisi",
                                   "surat_tugas", "bap", "surat_jawaban"}
    for name in TEMPLATE_FILES.values():
        assert (TEMPLATE_DIR / name).is_file(), name


def test_templates_are_a4_with_arial():
    for name in TEMPLATE_FILES.values():
        doc = Document(TEMPLATE_DIR / name)
        section = doc.sections[0]
        assert round(section.page_width.cm, 1) == 21.0
        assert round(section.page_height.cm, 1) == 29.7
        assert 1.9 <= section.left_margin.cm <= 2.6
        assert doc.styles["Normal"].font.name == "Arial"


EXPECTED = {
    "tanda_terima": [
        "TANDA TERIMA PENGADUAN", "0012/PGD/DPMPTSP-NAKER/2026", "Senin, 16 November 2026",
        "09.05 WIB", "LAPOR!", "5123456", "Budi Santoso", "Izin usaha tidak kunjung terbit",
        "1. Foto lokasi.jpg", "2. Salinan KTP.pdf", "Yang menerima,",
        "Pangkalpinang, 16 November 2026",
    ],
    "telaahan_staf": [
        "TELAAHAN STAF", "Yth. Kepala Dinas", "Sub Koordinator Pengaduan", "23 November 2026",
        "000.8.3.4/0057/DPMPTSP-NAKER/2026", "1.\tPersoalan", "2.\tPraanggapan",
        "3.\tFakta yang Mempengaruhi", "4.\tAnalisis", "5.\tKesimpulan", "6.\tSaran/Tindakan",
        "Menugaskan Tim Lapangan.",
    ],
    "lembar_disposisi": [
        "LEMBAR DISPOSISI", "Budi Santoso (LAPOR!)", "0012/PGD/DPMPTSP-NAKER/2026",
        "\u2610 Sangat Segera", "\u2611 Segera", "\u2610 Rahasia",
        "Kepala Bidang Pengawasan dan Pengendalian (penanggung jawab)", "2.\tSekretaris",
        "\u2610 Tanggapan dan saran", "\u2611 Proses lebih lanjut", "\u2610 Koordinasikan",
        "\u2610 Pelajari", "\u2610 Hadiri", "\u2611 Pantau", "\u2610 File",
        "Batas waktu: 24 November 2026", "Tanggal: 21 November 2026",
    ],
    "surat_tugas": [
        "SURAT TUGAS", "Nomor: 000.8.3.4/0057/DPMPTSP-NAKER/2026", "Dasar", "MEMBERI TUGAS",
        "Kepada", "Agus Salim, S.E.", "19880721 201101 1 003", "Penata (III/c)",
        "Fitri Handayani, S.T.", "Pengawas Penanaman Modal", "Untuk",
        "Melaporkan hasilnya dalam bentuk berita acara", "Sabtu, 21 November 2026",
        "Kelurahan Bukit Besar, Pangkalpinang", "Pangkalpinang, 23 November 2026",
    ],
    "bap": [
        "BERITA ACARA PEMERIKSAAN LAPANGAN", "Lokasi usaha telah beroperasi.",
        "Papan nama terpasang.", "Pihak yang memeriksa", "Saksi-saksi", "Ketua RT 03",
        "Demikian berita acara ini dibuat dengan sebenarnya untuk dapat dipergunakan "
        "sebagaimana mestinya.",
    ],
    "surat_jawaban": [
        "Yth.\tSdr. Budi Santoso", "di -", "Tempat", "Jawaban Pengaduan",
        "Permohonan izin Saudara sedang dalam verifikasi teknis.",
        "Kami akan menyelesaikannya paling lambat 30 November 2026.",
        "Demikian kami sampaikan.", "Tembusan:",
        "1.\tYth. Wali Kota Pangkalpinang (sebagai laporan)", "2.\tArsip",
        "Dokumen ini telah ditandatangani secara elektronik",
    ],
}


@pytest.mark.parametrize("key", sorted(TEMPLATE_FILES))
def test_render_full_context(rendered, key):
    text = full_text(rendered[key])
    # kop and signature block
    assert "PEMERINTAH KOTA PANGKALPINANG" in text
    assert "DINAS PENANAMAN MODAL, PELAYANAN TERPADU SATU PINTU DAN TENAGA KERJA" in text
    assert "Jl. Jenderal Sudirman No. 1" in text
    assert "dpmpstpnaker@pangkalpinangkota.go.id" in text
    for fragment in EXPECTED[key]:
        assert fragment in text, f"{key}: {fragment!r} missing"
    if key != "bap":  # the BAP is signed by its parties and witnesses
        assert "NIP. 19760123 200501 1 006" in text
        assert "Yan Rizana, ST., MSi" in text
    # no template syntax left over
    assert "{{" not in text and "{%" not in text and "}}" not in text


@pytest.mark.parametrize("key", sorted(TEMPLATE_FILES))
def test_logo_is_an_inline_image_about_2_cm_high(rendered, key):
    doc = Document(BytesIO(rendered[key]))
    shapes = doc.inline_shapes
    assert len(shapes) == 1
    assert 1.8 <= shapes[0].height.cm <= 2.2


def test_no_logo_renders_without_image():
    ctx = sample_context(office__logo=None)
    data = render("surat_jawaban", ctx)
    assert len(Document(BytesIO(data)).inline_shapes) == 0
    assert "PEMERINTAH KOTA PANGKALPINANG" in full_text(data)


def test_missing_logo_file_is_a_template_error(tmp_path):
    ctx = sample_context(office__logo=tmp_path / "tidak-ada.png")
    with pytest.raises(TemplateError, match="office.logo"):
        render("tanda_terima", ctx)


def test_logo_that_is_not_an_image_is_a_template_error(tmp_path):
    bogus = tmp_path / "logo.png"
    bogus.write_bytes(b"bukan gambar")
    with pytest.raises(TemplateError, match="office.logo"):
        render("tanda_terima", sample_context(office__logo=bogus))


def test_signer_block_has_jabatan_with_one_comma_and_bold_underlined_name(rendered):
    doc = Document(BytesIO(rendered["surat_jawaban"]))
    texts = paragraphs(rendered["surat_jawaban"])
    assert "Kepala Dinas Penanaman Modal, Pelayanan Terpadu Satu Pintu dan Tenaga Kerja," in texts
    ctx = sample_context()
    ctx["signer"]["jabatan"] += ","  # a trailing comma given by the caller is not doubled
    assert ",," not in full_text(render("surat_jawaban", ctx))
    ctx["signer"]["jabatan"] = "a.n. Kepala Dinas\nSekretaris"  # delegation on two lines
    texts = paragraphs(render("surat_jawaban", ctx))
    assert ["a.n. Kepala Dinas", "Sekretaris,"] == texts[texts.index("a.n. Kepala Dinas"):][:2]
    runs = [r for t in doc.tables for c in t._cells for p in c.paragraphs for r in p.runs
            if r.text == "Yan Rizana, ST., MSi"]
    assert runs and runs[0].bold and runs[0].underline


# ---- hostile input -----------------------------------------------------------------------

@pytest.mark.parametrize("key", sorted(TEMPLATE_FILES))
def test_hostile_text_appears_literally(rendered_hostile, key):
    data = rendered_hostile[key]
    texts = paragraphs(data)
    text = "\n".join(texts)
    assert "49" not in text  # {{ 7*7 }} was not evaluated
    assert "ulangulangulang" not in text
    assert "SUNTIK" not in texts  # the raw <w:p> did not become a paragraph
    xml = document_xml(data)
    etree.fromstring(xml)  # well-formed
    assert b"\x07" not in xml and b"\x00" not in xml
    if key in ("tanda_terima", "telaahan_staf", "lembar_disposisi", "bap", "surat_jawaban"):
        for line in HOSTILE_EXPECTED:  # multi-line text: one paragraph per line
            assert line in texts, f"{key}: {line!r} not a paragraph"
    if key in ("tanda_terima", "lembar_disposisi", "bap", "surat_jawaban"):
        assert HOSTILE_NAME_EXPECTED in text


def test_hostile_subject_on_one_line(rendered_hostile):
    texts = paragraphs(rendered_hostile["tanda_terima"])
    assert HOSTILE_LINES[0] in texts  # the subject cell
    assert "Anonim" not in texts


def test_markup_built_by_jinja_is_still_cleaned(tmp_path):
    path = _template_with(
        tmp_path, "gabung.docx",
        "{{ 'Sdr. ' ~ complainant.name }}",
        "{{ [complaint.subject, complainant.name]|join(' / ') }}",
        "{{ complainant.name|replace('Budi', 'B.') }}",
    )
    ctx = sample_context(complainant__name="Budi {_{ 7*7 }_} <w:p>\x00\x1b&",
                         complaint__subject="{%_ x _%}")
    texts = paragraphs(render_docx(path, ctx))
    assert texts == [
        "Sdr. Budi {_{ 7*7 }_} <w:p>&",
        "{%_ x _%} / Budi {_{ 7*7 }_} <w:p>&",
        "B. {_{ 7*7 }_} <w:p>&",
    ]


def test_newlines_and_tabs_in_single_line_fields_become_spaces():
    ctx = sample_context(complaint__subject="baris satu\r\nbaris\tdua\u2028tiga")
    texts = paragraphs(render("tanda_terima", ctx))
    assert "baris satu baris dua tiga" in texts


def test_lone_surrogates_and_noncharacters_are_dropped():
    ctx = sample_context(complaint__subject="a\ud800b\ufffec\uffffd")
    texts = paragraphs(render("tanda_terima", ctx))
    assert "abcd" in texts


# ---- document specifics --------------------------------------------------------------------

def test_bap_opening_sentence(rendered):
    texts = paragraphs(rendered["bap"])
    opening = [t for t in texts if t.startswith("Pada hari ini")]
    assert opening == [
        "Pada hari ini Sabtu tanggal dua puluh satu bulan November tahun dua ribu dua puluh "
        "enam (21-11-2026), bertempat di Kelurahan Bukit Besar, Pangkalpinang, kami yang "
        "bertanda tangan di bawah ini:"
    ]


def test_bap_lists_every_party_and_witness(rendered):
    text = full_text(rendered["bap"])
    for name in ("Agus Salim, S.E.", "Fitri Handayani, S.T.", "Slamet"):
        assert name in text


def test_bap_without_witnesses():
    ctx = sample_context()
    ctx["body"]["saksi"] = []
    text = full_text(render("bap", ctx))
    assert "Saksi-saksi" not in text and "Slamet" not in text


def test_anonymous_complainant():
    ctx = sample_context()
    ctx["complainant"] = {"anonymous": True, "name": "", "nik": "", "address": "", "phone": "",
                          "email": ""}
    for key in ("tanda_terima", "lembar_disposisi"):
        texts = paragraphs(render(key, ctx))
        text = "\n".join(texts)
        assert "Anonim" in text
        assert "budi@example.com" not in text and "Jl. Merdeka" not in text
    assert "Pengadu," not in paragraphs(render("tanda_terima", ctx))


def test_optional_fields_empty():
    ctx = sample_context()
    ctx["complaint"]["attachments"] = []
    ctx["complaint"]["lapor_id"] = ""
    ctx["letter"]["tembusan"] = []
    ctx["letter"]["nomor"] = ""
    ctx["letter"]["tanggal"] = None
    ctx["body"]["batas_waktu"] = None
    ctx["signer"]["pangkat"] = ""
    texts = paragraphs(render("tanda_terima", ctx))
    assert "-" in texts and "Nomor Tiket LAPOR!" not in texts
    text = full_text(render("surat_jawaban", ctx))
    assert "Tembusan" not in text and "LAPOR! nomor tiket" not in text
    assert "Batas waktu: -" in full_text(render("lembar_disposisi", ctx))
    assert "Pangkalpinang, 21 November 2026" in full_text(render("surat_tugas", ctx))  # today
    assert "Nomor: ...." in full_text(render("surat_tugas", ctx))


def test_addressee_lines():
    ctx = sample_context(letter__kepada=["Sdr. Budi Santoso", "Jl. Merdeka No. 5, Pangkalpinang"])
    texts = paragraphs(render("surat_jawaban", ctx))
    i = texts.index("Yth.\tSdr. Budi Santoso")
    assert texts[i + 1:i + 4] == ["\tJl. Merdeka No. 5, Pangkalpinang", "di -", "Tempat"]
    ctx["letter"]["di"] = "Pangkalpinang"
    assert "Pangkalpinang" in paragraphs(render("surat_jawaban", ctx))


def test_surat_jawaban_has_no_nomor_or_date_text(rendered):
    text = full_text(rendered["surat_jawaban"])
    assert "000.8.3.4/0057" not in text  # the number is a PDF form field filled at the TTE
    assert "23 November 2026" not in text
    assert "Pangkalpinang, " not in text  # place and date are written together at the TTE


def _bookmarks(xml: bytes) -> dict[str, etree._Element]:
    root = etree.fromstring(xml)
    return {b.get(qn("w:name")): b for b in root.iter(qn("w:bookmarkStart"))}


def _ancestor(element, tag):
    while element is not None and element.tag != qn(tag):
        element = element.getparent()
    return element


@pytest.mark.parametrize("which", ["rendered", "rendered_hostile"])
def test_surat_jawaban_bookmarks_survive_rendering(request, which):
    data = request.getfixturevalue(which)["surat_jawaban"]
    marks = _bookmarks(document_xml(data))
    assert {"naskah_nomor", "naskah_tanggal", "naskah_ttd", "naskah_paraf"} <= set(marks)
    ids = [m.get(qn("w:id")) for m in marks.values()]
    assert len(ids) == len(set(ids))
    root = etree.fromstring(document_xml(data))
    ends = {e.get(qn("w:id")) for e in root.iter(qn("w:bookmarkEnd"))}
    assert set(ids) <= ends
    # naskah_nomor sits in the row of "Nomor"; naskah_tanggal opens the empty cell to its right,
    # where the TTE writes "<city>, <date>"
    row = _ancestor(marks["naskah_nomor"], "w:tr")
    assert "".join(row.itertext()).startswith("Nomor:")
    p = _ancestor(marks["naskah_tanggal"], "w:p")
    assert "".join(p.itertext()) == ""
    assert _ancestor(marks["naskah_tanggal"], "w:tr") is row
    # naskah_ttd: the blank space between jabatan and name (about 3.5 cm)
    tr = _ancestor(marks["naskah_ttd"], "w:tr")
    assert "".join(tr.itertext()).strip() == ""
    height = tr.find(f"{qn('w:trPr')}/{qn('w:trHeight')}")
    assert abs(int(height.get(qn("w:val"))) / 567 - 3.5) < 0.1
    previous, following = tr.getprevious(), tr.getnext()
    assert "".join(previous.itertext()).endswith("Tenaga Kerja,")
    assert "Yan Rizana, ST., MSi" in "".join(following.itertext())
    assert _ancestor(marks["naskah_paraf"], "w:tr") is tr


def test_template_bookmarks_in_the_template_itself():
    with ZipFile(TEMPLATE_DIR / "surat_jawaban.docx") as z:
        marks = _bookmarks(z.read("word/document.xml"))
    assert {"naskah_nomor", "naskah_tanggal", "naskah_ttd", "naskah_paraf"} <= set(marks)


# ---- template errors -----------------------------------------------------------------------

def _template_with(tmp_path: Path, name: str, *lines: str) -> Path:
    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    path = tmp_path / name
    doc.save(path)
    return path


@pytest.mark.parametrize("broken", [
    "{{ office.name ",
    "{% if complaint.subject %}tanpa penutup",
    "{{ office.name | }}",
    "{% endfor %}",
])
def test_broken_tag_is_a_template_error_naming_the_file(tmp_path, broken):
    path = _template_with(tmp_path, "rusak_sekali.docx", "Halo", broken, "akhir")
    with pytest.raises(TemplateError) as info:
        render_docx(path, sample_context())
    message = str(info.value)
    assert "rusak_sekali.docx" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


@pytest.mark.parametrize("expr, name", [
    ("{{ complaint.subjek }}", "complaint.subjek"),
    ("{{ pengadu }}", "pengadu"),
    ("{{ body.isi_surat|paragraf }}", "body.isi_surat"),
    ("{% for x in letter.tembusan_list %}{{ x }}{% endfor %}", "letter.tembusan_list"),
    ("{{ body.tanggal_bap|tanggal }}", "body.tanggal_bap"),
])
def test_missing_variable_is_a_template_error_naming_it(tmp_path, expr, name):
    path = _template_with(tmp_path, "salah_ketik.docx", "Isi: " + expr)
    with pytest.raises(TemplateError) as info:
        render_docx(path, sample_context())
    message = str(info.value)
    assert "salah_ketik.docx" in message and name in message


@pytest.mark.parametrize("expr", ["{{ 1/0 }}", "{{ body.petugas|tanggal }}",
                                  "{{ complaint.subject|terbilang }}"])
def test_failing_expression_is_a_template_error(tmp_path, expr):
    path = _template_with(tmp_path, "ekspresi.docx", "Isi: " + expr)
    with pytest.raises(TemplateError, match="ekspresi.docx"):
        render_docx(path, sample_context())


def test_missing_context_key_in_a_shipped_template():
    ctx = sample_context()
    del ctx["body"]["isi"]
    with pytest.raises(TemplateError, match=r"surat_jawaban\.docx.*body\.isi"):
        render("surat_jawaban", ctx)


def test_missing_and_non_docx_templates(tmp_path):
    with pytest.raises(TemplateError, match="tidak ditemukan"):
        render_docx(tmp_path / "tidak_ada.docx", sample_context())
    bogus = tmp_path / "bukan.docx"
    bogus.write_text("bukan docx")
    with pytest.raises(TemplateError, match="bukan.docx"):
        render_docx(bogus, sample_context())


def test_filters_and_plain_dates(tmp_path):
    path = _template_with(
        tmp_path, "filter.docx",
        "{{ today|tanggal }}|{{ today|hari }}|{{ today|tanggal_angka }}",
        "{{ today|tanggal_terbilang }}",
        "{{ complaint.received|jam }}|{{ 2026|terbilang }}|{{ today }}|{{ complaint.received }}",
        "{{ body.sifat|centang('Segera') }}{{ body.sifat|centang('Rahasia') }}",
        "{{ multi|paragraf }}",
        "[{{ letter.tanggal|tanggal if letter.tanggal else '' }}][{{ kosong }}]",
    )
    ctx = sample_context(letter__tanggal=None)
    ctx["kosong"] = None
    ctx["multi"] = "a\r\n\n  \nb"
    texts = paragraphs(render_docx(path, ctx))
    assert texts[0] == "21 November 2026|Sabtu|21-11-2026"
    assert texts[1] == "Sabtu tanggal dua puluh satu bulan November tahun dua ribu dua puluh enam"
    assert texts[2] == ("09.05|dua ribu dua puluh enam|21 November 2026|"
                        "16 November 2026 09.05")
    assert texts[3] == "\u2611\u2610"
    assert texts[4:6] == ["a", "b"]
    assert texts[6] == "[][]"


def test_office_may_be_an_object():
    class Office:
        def __init__(self, data):
            self.__dict__.update(data)

    ctx = sample_context()
    ctx["office"] = Office(ctx["office"])
    data = render("surat_jawaban", ctx)
    assert "PEMERINTAH KOTA PANGKALPINANG" in full_text(data)
    assert len(Document(BytesIO(data)).inline_shapes) == 1


def test_render_does_not_modify_the_context():
    ctx = sample_context()
    before = copy.deepcopy(ctx)
    render("surat_jawaban", ctx)
    assert ctx == before


# ---- one LibreOffice conversion: layout text and named destinations ------------------------

PDF_FILTER = 'pdf:writer_pdf_Export:' + json.dumps({
    "SelectPdfVersion": {"type": "long", "value": "2"},
    "ExportBookmarksToPDFDestination": {"type": "boolean", "value": "true"},
})


@pytest.fixture(scope="module")
def jawaban_pdf(tmp_path_factory, rendered_hostile) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice or not shutil.which("pdftotext"):
        pytest.skip("LibreOffice (soffice) or poppler (pdftotext) not installed")
    work = tmp_path_factory.mktemp("lo")
    docx = work / "surat_jawaban.docx"
    docx.write_bytes(rendered_hostile["surat_jawaban"])
    profile = (work / "profile").as_uri()
    env = dict(os.environ, HOME=str(work))
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
         "--convert-to", PDF_FILTER, "--outdir", str(work), str(docx)],
        check=True, capture_output=True, timeout=180, env=env,
    )
    pdf = work / "surat_jawaban.pdf"
    assert pdf.is_file()
    return pdf


def test_pdf_text(jawaban_pdf):
    text = subprocess.run(["pdftotext", "-layout", str(jawaban_pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    assert "PEMERINTAH KOTA PANGKALPINANG" in flat
    assert "{{ 7*7 }}" in flat and "49" not in flat
    assert "<w:p><w:r><w:t>SUNTIK</w:t></w:r></w:p> ]]>" in flat
    assert "NIP. 19760123 200501 1 006" in flat
    assert "Balai Besar Sertifikasi Elektronik (BSrE), BSSN" in flat


def _destination(dests, name):
    # LibreOffice 7.x writes a destination name's characters other than [A-Za-z0-9-] as hex
    # without the '#': "naskah_ttd" becomes /naskah5Fttd. Accept both spellings.
    for candidate in (name, name.replace("_", "5F"), name.replace("_", "#5F")):
        if candidate in dests:
            return dests[candidate]
    raise AssertionError(f"no destination {name} in {sorted(dests)}")


def test_pdf_named_destinations(jawaban_pdf):
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(str(jawaban_pdf))
    dests = {str(k).lstrip("/"): v for k, v in reader.named_destinations.items()}
    nomor = _destination(dests, "naskah_nomor")
    tgl = _destination(dests, "naskah_tanggal")
    ttd = _destination(dests, "naskah_ttd")
    paraf = _destination(dests, "naskah_paraf")
    cm = 72 / 2.54
    # same line: Nomor and the place/date cell, which leaves the nomor 7 cm
    assert abs(float(nomor["/Top"]) - float(tgl["/Top"])) < 1
    assert float(tgl["/Left"]) > float(nomor["/Left"]) + 7 * cm
    # the stamp space begins 8 cm right of the left margin (2.5 cm) and fits 8.5 cm
    assert abs(float(ttd["/Left"]) - 10.5 * cm) < 0.3 * cm
    assert float(ttd["/Left"]) + 8.5 * cm <= (21.0 - 2.0) * cm + 1
    assert abs(float(paraf["/Left"]) - 2.5 * cm) < 0.3 * cm
    assert abs(float(paraf["/Top"]) - float(ttd["/Top"])) < 1
    assert float(ttd["/Top"]) < float(nomor["/Top"])


def test_compiled_templates_are_reused_but_never_their_output_or_their_errors(tmp_path):
    path = _template_with(tmp_path, "ulang.docx", "Kepada {{ complainant.name }}", "Hal: {{ complaint.subject }}")
    first = paragraphs(render_docx(path, sample_context(complainant__name="Budi", complaint__subject="Izin")))
    second = paragraphs(render_docx(path, sample_context(complainant__name="Siti", complaint__subject="Upah")))
    assert first == ["Kepada Budi", "Hal: Izin"] and second == ["Kepada Siti", "Hal: Upah"]
    # the template edited in place: its new text is what renders
    _template_with(tmp_path, "ulang.docx", "Yth. {{ complainant.name }}")
    assert paragraphs(render_docx(path, sample_context(complainant__name="Agus"))) == ["Yth. Agus"]
    broken = _template_with(tmp_path, "rusak.docx", "{{ office.name ")
    for _ in range(2):  # a source that does not compile fails every time
        with pytest.raises(TemplateError, match="rusak.docx"):
            render_docx(broken, sample_context())


def test_kept_xml_cleanup_gives_docxtpls_own_parts():
    """render_docx keeps docxtpl's patch_xml result per part text (documents._Template): every
    shipped template, rendered twice with different data, has each part exactly as a plain
    DocxTemplate renders it, and the second render found every part's clean-up kept."""
    from docxtpl import DocxTemplate

    from correspondence import documents

    def parts(data: bytes) -> dict[str, bytes]:
        with ZipFile(BytesIO(data)) as z:
            return {n: z.read(n) for n in z.namelist() if n.startswith("word/") and n.endswith(".xml")}

    kept = documents._Template._patched
    kept.clear()
    for key in sorted(TEMPLATE_FILES):
        path = TEMPLATE_DIR / TEMPLATE_FILES[key]
        for name in ("Budi", "Siti O'Neil"):
            context = sample_context(complainant__name=name, complaint__subject=f"Izin {name}")
            before = len(kept)
            ours = render(key, context)
            if name == "Budi":
                assert len(kept) > before, key  # at least its body is new
            else:
                assert len(kept) == before, key  # nothing new to clean up: every part was kept
            plain = DocxTemplate(BytesIO(documents._template_source(path)))
            plain.render({**context, "office": documents._OfficeView(context["office"],
                                                                      documents._logo(plain, path, context["office"]))},
                         jinja_env=documents._ENVIRONMENT, autoescape=True)
            out = BytesIO()
            plain.save(out)
            theirs = parts(out.getvalue())
            assert parts(ours) == theirs, key
    subject = "Izin Siti O'Neil"
    assert subject in full_text(render("tanda_terima", sample_context(complaint__subject=subject)))


# ---- trimmed templates render the same letters -------------------------------------------

def _page_images(pdf: bytes, work: Path, name: str) -> list[bytes]:
    path = work / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-gray", str(path), str(work / name)], check=True,
                   capture_output=True, timeout=120)
    return [p.read_bytes() for p in sorted(work.glob(f"{name}-*.pgm"))]


def test_trimmed_templates_give_the_same_pages_pixel_for_pixel(tmp_path, monkeypatch):
    """What trimming removes (unused styles, latent styles, stylesWithEffects, thumbnail) must
    not move a single pixel of any shipped letter, as LibreOffice lays it out."""
    from correspondence import documents
    from correspondence.converter import Converter

    context = sample_context()
    trimmed = {key: render(key, context) for key in TEMPLATE_FILES}
    monkeypatch.setattr(documents, "_trimmed", lambda data: data)
    whole = {key: render(key, context) for key in TEMPLATE_FILES}
    with Converter(tmp_path / "lo") as converter:
        for key in sorted(TEMPLATE_FILES):
            with ZipFile(BytesIO(trimmed[key])) as a, ZipFile(BytesIO(whole[key])) as b:
                assert len(a.read("word/styles.xml")) * 5 < len(b.read("word/styles.xml")), key
            assert paragraphs(trimmed[key]) == paragraphs(whole[key]), key
            pages = _page_images(converter.convert(trimmed[key]), tmp_path, f"{key}-trimmed")
            expected = _page_images(converter.convert(whole[key]), tmp_path, f"{key}-whole")
            assert pages and pages == expected, key
