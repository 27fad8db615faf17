"""Build the report templates (developer script).

    python letter_templates/build_reports.py     # laporan_tahunan, rekap_bulanan, laporan_ikm, publikasi_jawaban

Same page, kop and signature block as the letters (helpers of ``build_templates.py``); this script
writes only these four files. The contexts are made by ``correspondence/reports.py`` and
``correspondence/publication.py``; the vocabulary is in docs/reports.md. Charts are
``grafik.<name>`` (an image, or ``''`` when the period has no data for it).
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build_templates import (  # noqa: E402  (a script next to build_templates.py)
    add_kop,
    add_row,
    draw_placeholder_logo,
    field_table,
    new_document,
    para,
    run,
    signature_block,
    table,
    tag,
    tag_row,
)
from build_padang import keep_together  # noqa: E402

JUST = WD_ALIGN_PARAGRAPH.JUSTIFY
CENTER = WD_ALIGN_PARAGRAPH.CENTER
RIGHT = WD_ALIGN_PARAGRAPH.RIGHT
SMALL = 10


class Sections:
    """Lettered section headings (A., B., ...), counted per branch of the template."""

    def __init__(self, doc, start: str = "A"):
        self.doc, self.next = doc, start

    def __call__(self, text: str) -> None:
        para(self.doc, (f"{self.next}.\t{text}", "b"), tabs=(0.75,), keep_next=True, before=12, after=4)
        self.next = chr(ord(self.next) + 1)


def chart(doc, name: str) -> None:
    tag(doc, "{%p if grafik." + name + " %}")
    para(doc, "{{ grafik." + name + " }}", align=CENTER, before=4, after=8, reuse=False)
    tag(doc, "{%p endif %}")


def data_table(doc, columns, loop: str, *, size=SMALL, after=True):
    """A bordered table: a bold header row, then one row per item of ``loop`` ("x in items").

    ``columns`` = [(heading, cell expression, width cm, alignment)].
    """
    widths = [c[2] for c in columns]
    t = table(doc, widths, rows=1, borders=True)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, (heading, _, _, _) in zip(t.rows[0].cells, columns):
        para(cell, (heading, "b"), align=CENTER, size=size, keep_next=True)
    row_properties(t.rows[0], "w:cantSplit", "w:tblHeader")  # repeated on every page, kept with the first row
    tag_row(t, "{%tr for " + loop + " %}")
    row = add_row(t, widths)
    row_properties(row, "w:cantSplit")
    for cell, (_, expr, _, align) in zip(row.cells, columns):
        para(cell, expr, align=align, size=size)
    tag_row(t, "{%tr endfor %}")
    if after:
        para(doc, "", after=4)
    return t


def row_properties(row, *names: str) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    for name in names:  # schema order: cantSplit before tblHeader
        tr_pr.append(OxmlElement(name))


def count_table(doc, heading: str, items: str) -> None:
    data_table(doc, [
        ("No.", "{{ loop.index }}", 1.2, CENTER),
        (heading, "{{ r.label }}", 8.8, None),
        ("Jumlah", "{{ r.jumlah }}", 2.5, CENTER),
        ("Persentase", "{{ r.persen }}", 2.5, CENTER),
    ], f"r in {items}")


def text(doc, content: str, **kw) -> None:
    para(doc, content, align=JUST, after=kw.pop("after", 4), **kw)


# ---- the yearly report and the monthly recap ---------------------------------------------------

def build_report(yearly: bool):
    name = "Laporan Tahunan Penanganan Pengaduan Masyarakat" if yearly else "Rekapitulasi Bulanan Pengaduan Masyarakat"
    doc = new_document(name)
    add_kop(doc)
    para(doc, (name.upper(), "b", 13), align=CENTER, keep_next=True)
    para(doc, ("{{ periode.label|upper }}", "b", 13), align=CENTER, after=12)
    field_table(doc, [
        ("Kepada", "Yth. {{ kepada }}"),
        ("Dari", "{{ signer.jabatan }}"),
        ("Tanggal", "{{ today|tanggal }}"),
        ("Periode", "{{ periode.label }}"),
        ("Hal", ("Laporan Penanganan Pengaduan Masyarakat " if yearly else "Rekapitulasi Pengaduan Masyarakat ")
         + "{{ periode.label }}"),
    ], widths=(2.6, 0.4))

    head = Sections(doc)
    head("Pendahuluan")
    if yearly:
        text(doc, "Sebagai pelaksanaan kewajiban pelaporan penanganan pengaduan masyarakat kepada {{ kepada }} "
                  "setiap tahun, bersama ini kami sampaikan laporan penanganan pengaduan masyarakat pada "
                  "{{ office.name_title }} untuk {{ periode.teks }}. Data diambil dari register pengaduan "
                  "pada tanggal {{ today|tanggal }} pukul {{ dibuat|jam }}.", first=1.0)
    else:
        text(doc, "Rekapitulasi ini menyajikan pengaduan masyarakat yang diterima {{ office.name_title }} pada "
                  "{{ periode.teks }}, sebagai bahan pemantauan penanganan pengaduan dan laporan tahunan "
                  "kepada {{ kepada }}. Data diambil dari register pengaduan pada tanggal {{ today|tanggal }} "
                  "pukul {{ dibuat|jam }}.", first=1.0)

    tag(doc, "{%p if ringkasan.jumlah == 0 %}")
    empty = Sections(doc, head.next)
    empty("Ringkasan")
    text(doc, "Pada {{ periode.teks }} tidak ada pengaduan masyarakat yang diterima. Oleh karena itu "
              "laporan ini tidak memuat rincian menurut saluran, kategori atau bidang, status, waktu penyelesaian "
              "maupun kepuasan pengadu.", first=1.0)
    ikm_letter_empty = empty.next
    tag(doc, "{%p else %}")
    full = Sections(doc, head.next)
    full("Ringkasan")
    field_table(doc, [
        ("Pengaduan diterima", "{{ ringkasan.jumlah }} pengaduan"),
        ("Selesai", "{{ ringkasan.selesai }} pengaduan ({{ ringkasan.persen_selesai }})"),
        ("Dalam proses", "{{ ringkasan.proses }} pengaduan"),
        ("Lewat batas waktu", "{{ ringkasan.lewat }} pengaduan (belum selesai)"),
        ("Selesai tepat waktu", "{{ ringkasan.tepat_waktu }} dari {{ ringkasan.tepat_waktu + ringkasan.terlambat }} "
                                "pengaduan yang memiliki batas waktu ({{ ringkasan.persen_tepat_waktu }})"),
        ("Rata-rata penyelesaian", "{{ ringkasan.rata_hari }} (median {{ ringkasan.median_hari }})"),
        ("Pernyataan puas", "{{ ringkasan.puas }} puas, {{ ringkasan.tidak_puas }} tidak puas "
                            "({{ ringkasan.persen_puas }} puas)"),
        "{%tr if ikm %}",
        ("Nilai IKM", "{{ ikm.nilai }} (mutu {{ ikm.mutu }}, {{ ikm.kinerja }}; {{ ikm.responden }} responden)"),
        "{%tr endif %}",
    ], widths=(5.2, 0.4))

    full("Pengaduan menurut saluran")
    count_table(doc, "Saluran pengaduan", "saluran")
    chart(doc, "saluran")
    if yearly:
        full("Pengaduan per bulan")
        chart(doc, "bulan")
    full("Pengaduan menurut kategori atau bidang")
    count_table(doc, "Kategori/bidang", "kategori")
    chart(doc, "kategori")
    full("Pengaduan menurut status")
    count_table(doc, "Status", "status")
    chart(doc, "status")

    full("Waktu penyelesaian dan ketepatan waktu")
    tag(doc, "{%p if ringkasan.selesai %}")
    text(doc, "Dari {{ ringkasan.jumlah }} pengaduan, {{ ringkasan.selesai }} telah selesai dengan rata-rata waktu "
              "penyelesaian {{ ringkasan.rata_hari }} (median {{ ringkasan.median_hari }}). Sebanyak "
              "{{ ringkasan.tepat_waktu }} pengaduan selesai dalam batas waktu SOP dan {{ ringkasan.terlambat }} "
              "melewatinya{% if ringkasan.tanpa_batas %}; {{ ringkasan.tanpa_batas }} pengaduan tidak memiliki batas "
              "waktu{% endif %}.", first=1.0)
    tag(doc, "{%p if durasi %}")
    data_table(doc, [
        ("Lama penyelesaian (hari kerja)", "{{ r.label }}", 8.0, CENTER),
        ("Jumlah", "{{ r.jumlah }}", 2.5, CENTER),
        ("Persentase", "{{ r.persen }}", 2.5, CENTER),
    ], "r in durasi")
    tag(doc, "{%p endif %}")
    chart(doc, "durasi")
    chart(doc, "ketepatan")
    tag(doc, "{%p else %}")
    text(doc, "Belum ada pengaduan yang selesai pada periode ini.", first=1.0)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if ringkasan.lewat %}")
    text(doc, "Sebanyak {{ ringkasan.lewat }} pengaduan belum selesai dan telah melewati batas waktu SOP; "
              "pengaduan tersebut perlu segera ditindaklanjuti.", first=1.0)
    tag(doc, "{%p endif %}")

    full("Kepuasan pengadu")
    text(doc, "Kepuasan pengadu dicatat melalui Pernyataan Puas/Tidak Puas pada akhir penanganan pengaduan "
              "(pernyataan terakhir pada setiap pengaduan).", first=1.0)
    count_table(doc, "Pernyataan", "kepuasan")
    chart(doc, "kepuasan")

    full("Daftar pengaduan")
    data_table(doc, [
        ("No.", "{{ c.no }}", 0.9, CENTER),
        ("Nomor register", "{{ c.register }}", 3.5, None),
        ("Tanggal", "{{ c.tanggal|tanggal_angka }}", 2.2, CENTER),
        ("Saluran", "{{ c.saluran }}", 2.2, None),
        ("Hal", "{{ c.hal }}", 4.1, None),
        ("Status", "{{ c.status }}", 2.4, None),
        ("Hari kerja", "{{ c.hari }}", 1.2, CENTER),
    ], "c in daftar", size=8)
    ikm_letter_full = full.next
    tag(doc, "{%p endif %}")

    tag(doc, "{%p if ikm %}")
    para(doc, ("{% if ringkasan.jumlah == 0 %}" + ikm_letter_empty + "{% else %}" + ikm_letter_full
               + "{% endif %}.\tIndeks Kepuasan Masyarakat", "b"), tabs=(0.75,), keep_next=True, before=12, after=4)
    text(doc, "Hasil survei kepuasan masyarakat (Peraturan Menteri PANRB Nomor 14 Tahun 2017) dengan "
              "{{ ikm.responden }} responden: nilai IKM {{ ikm.nilai }}, mutu pelayanan {{ ikm.mutu }} "
              "({{ ikm.kinerja }}).", first=1.0)
    ikm_table(doc)
    chart(doc, "ikm")
    tag(doc, "{%p endif %}")

    para(doc, ("Penutup", "b"), before=12, after=4, keep_next=True)
    text(doc, "Demikian laporan ini kami sampaikan. Atas perhatian {{ kepada }}, kami ucapkan terima kasih.",
         first=1.0, after=12, keep_next=True)
    keep_together(signature_block(doc, place_date="{{ office.city }}, {{ today|tanggal }}"))
    return doc


def ikm_table(doc) -> None:
    widths = [1.5, 8.0, 3.0, 4.0]
    t = data_table(doc, [
        ("Kode", "{{ u.kode }}", widths[0], CENTER),
        ("Unsur pelayanan", "{{ u.nama }}", widths[1], None),
        ("NRR", "{{ u.nrr }}", widths[2], CENTER),
        ("NRR tertimbang (\u00d7 1/9)", "{{ u.tertimbang }}", widths[3], CENTER),
    ], "u in ikm.unsur", after=False)
    for label, value in (("Indeks (jumlah NRR tertimbang)", "{{ ikm.indeks }}"),
                         ("IKM (indeks \u00d7 25)", "{{ ikm.nilai }}"),
                         ("Mutu pelayanan", "{{ ikm.mutu }} ({{ ikm.kinerja }})")):
        row = add_row(t, widths)
        label_cell = row.cells[0].merge(row.cells[2])
        para(label_cell, (label, "b"), size=SMALL, align=RIGHT)
        para(row.cells[3], (value, "b"), size=SMALL, align=CENTER)
    para(doc, "", after=4)


# ---- the survey report ---------------------------------------------------------------------------

def build_laporan_ikm():
    doc = new_document("Laporan Hasil Survei Kepuasan Masyarakat")
    add_kop(doc)
    para(doc, ("LAPORAN HASIL SURVEI KEPUASAN MASYARAKAT", "b", 13), align=CENTER, keep_next=True)
    para(doc, ("{{ periode|upper }}", "b", 13), align=CENTER, after=12)
    field_table(doc, [
        ("Unit pelayanan", "{{ office.name_title }}"),
        ("Periode survei", "{{ periode or '-' }}"),
        ("Berkas data", "{{ sumber }}"),
        ("Jumlah responden", "{{ ikm.responden }} orang (jawaban yang lengkap dan sah)"),
        ("Baris tidak dihitung", "{{ ikm.dikeluarkan|length }}"),
        ("Nilai IKM", ("{{ ikm.nilai }}", "b")),
        ("Mutu pelayanan", ("{{ ikm.mutu }} ({{ ikm.kinerja }})", "b")),
    ], widths=(4.2, 0.4))
    head = Sections(doc)
    head("Metode")
    text(doc, "Survei kepuasan masyarakat dilaksanakan menurut Peraturan Menteri Pendayagunaan Aparatur Negara dan "
              "Reformasi Birokrasi Nomor 14 Tahun 2017 tentang Pedoman Penyusunan Survei Kepuasan Masyarakat Unit "
              "Penyelenggara Pelayanan Publik. Setiap responden menilai sembilan unsur pelayanan dengan skala 1 "
              "sampai 4.", first=1.0)
    text(doc, "Nilai rata-rata (NRR) setiap unsur adalah jumlah nilai unsur tersebut dibagi jumlah responden. "
              "Indeks adalah jumlah NRR tertimbang, yaitu NRR setiap unsur dikalikan bobot yang sama 1/9. Nilai IKM "
              "adalah indeks dikalikan 25, dibulatkan dua angka di belakang koma, lalu dikonversi menjadi mutu "
              "pelayanan menurut tabel pada bagian C (batas bawah dan batas atas setiap rentang termasuk).",
         first=1.0)
    head("Hasil")
    ikm_table(doc)
    chart(doc, "ikm")
    text(doc, "Nilai IKM {{ office.name_title }} adalah {{ ikm.nilai }} dengan mutu pelayanan {{ ikm.mutu }} "
              "({{ ikm.kinerja }}).", first=1.0)
    head("Tabel konversi")
    data_table(doc, [
        ("Nilai interval konversi IKM", "{{ g.dari }} \u2013 {{ g.sampai }}", 6.0, CENTER),
        ("Mutu pelayanan", "{{ g.mutu }}", 3.5, CENTER),
        ("Kinerja unit pelayanan", "{{ g.kinerja }}", 5.0, CENTER),
    ], "g in ikm.konversi")
    head("Data yang tidak dihitung")
    tag(doc, "{%p if ikm.dikeluarkan %}")
    text(doc, "Baris berikut tidak dihitung karena nilainya kosong, bukan bilangan bulat, atau di luar rentang 1 "
              "sampai 4 (nomor baris seperti pada lembar kerja; baris 1 adalah judul kolom):", after=4)
    data_table(doc, [
        ("Baris", "{{ d.baris }}", 2.0, CENTER),
        ("Alasan", "{{ d.alasan }}", 12.5, None),
    ], "d in ikm.dikeluarkan")
    tag(doc, "{%p else %}")
    text(doc, "Semua baris data lengkap dan sah, dan seluruhnya dihitung.")
    tag(doc, "{%p endif %}")
    para(doc, "", after=6, keep_next=True)
    keep_together(signature_block(doc, place_date="{{ office.city }}, {{ today|tanggal }}"))
    return doc


# ---- the public list of answers ----------------------------------------------------------------

def build_publikasi_jawaban():
    doc = new_document("Daftar Jawaban Pengaduan Masyarakat")
    add_kop(doc)
    para(doc, ("DAFTAR JAWABAN PENGADUAN MASYARAKAT", "b", 13), align=CENTER, keep_next=True)
    para(doc, ("{% if tahun %}TAHUN {{ tahun }}{% endif %}", "b", 13), align=CENTER, after=10)
    text(doc, "Daftar ini memuat pengaduan masyarakat yang telah dijawab oleh {{ office.name_title }}, sebagai "
              "dokumentasi dan publikasi jawaban pengaduan. Identitas pengadu dan data pribadi lain (nama, NIK, "
              "nomor telepon, alamat email, alamat tempat tinggal) telah dihapus sesuai Undang-Undang Nomor 27 "
              "Tahun 2022 tentang Pelindungan Data Pribadi.", after=10, size=SMALL)
    tag(doc, "{%p for e in entries %}")
    para(doc, ("{{ loop.index }}.\t{{ e.hal }}", "b"), tabs=(0.75,), left=0.75, first=-0.75, keep_next=True,
         before=10, after=4)
    field_table(doc, [
        ("Nomor register", "{{ e.register }}"),
        ("Diterima", "{{ e.diterima|tanggal }} melalui {{ e.saluran }}"),
        ("Dijawab", "{{ e.dijawab|tanggal }}{% if e.nomor != '-' %}, surat nomor {{ e.nomor }}{% endif %}"),
    ], widths=(3.4, 0.4), after=False)
    para(doc, ("Pengaduan", "b"), before=6, after=2, keep_next=True)
    text(doc, "{{ e.pengaduan|paragraf }}", after=2)
    para(doc, ("Jawaban", "b"), before=6, after=2, keep_next=True)
    text(doc, "{{ e.jawaban|paragraf }}", after=2)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if not entries %}")
    text(doc, "Belum ada pengaduan yang telah dijawab{% if tahun %} pada tahun {{ tahun }}{% endif %}.")
    tag(doc, "{%p endif %}")
    para(doc, ("Diterbitkan {{ dibuat|tanggal }}. Jumlah pengaduan yang dijawab: {{ entries|length }}.", "i", 9),
         before=14)
    return doc


BUILDERS = {
    "laporan_tahunan.docx": lambda: build_report(yearly=True),
    "rekap_bulanan.docx": lambda: build_report(yearly=False),
    "laporan_ikm.docx": build_laporan_ikm,
    "publikasi_jawaban.docx": build_publikasi_jawaban,
}


def main(argv: list[str] | None = None) -> int:
    return run(BUILDERS, "pangkalpinang.png", draw_placeholder_logo, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    sys.exit(main())
