"""Publication of answered complaints (Pangkalpinang SOP step 12) with personal data removed.

The redaction rules on their own, then complaints full of personal data walked through the real
SOPs (real LibreOffice, real TTE), published with `naskah publish`: no name, NIK, phone number,
email or street address appears in the HTML or in the PDF's text (pdftotext), the answers do, and
an anonymous complainant is never identified."""

from __future__ import annotations

import copy
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest

from clitools import run_naskah  # tests/clitools.py
from correspondence.complaint import Complainant
from correspondence.demo import DEMO_PASSPHRASE, load_script
from correspondence.redaction import Redactor, redact
from correspondence.services import Naskah

PASS = DEMO_PASSPHRASE.encode()
YEAR = date.today().year  # the walks sign with real demo certificates, so they run on the real clock


# ---- the rules -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, gone, kept", [
    ("NIK saya 3171012345678901 dan KK 3171 0123 4567 8902.", ["3171012345678901", "3171 0123 4567 8902"], ["NIK saya"]),
    ("Hubungi 0812-3456-7890, 0812 3456 7890, 081234567890, +62 812 3456 7890, 62812-3456-7890 atau (021) 555-1234.",
     ["0812", "3456", "7890", "555-1234", "(021)"], ["Hubungi", "atau"]),
    ("Kirim ke budi.santoso+aduan@mail.contoh.co.id ya.", ["budi.santoso", "contoh.co.id"], ["Kirim ke", "ya."]),
    ("Rumah di Jl. Melati Raya No. 12A RT 003/RW 005, Kel. Bukit Intan, Kec. Girimaya, dekat pasar.",
     ["Melati", "12A", "003", "005", "Bukit Intan", "Girimaya"], ["Rumah di", "dekat pasar."]),
    ("Alamat: Gg. Mawar II Blok C No. 3, Perumahan Griya Asri, Desa Sukamaju, Dusun III.",
     ["Mawar", "Griya Asri", "Sukamaju", "Dusun III"], ["Alamat:"]),
    ("Petugas Bapak Joko Widagdo, S.H. dan Ibu Hj. Siti Aminah menolak; Sdr./Sdri. Andi Wijaya hadir; kata Pak JOKO.",
     ["Joko", "Widagdo", "Siti", "Aminah", "Andi", "Wijaya", "JOKO", "S.H."], ["Petugas Bapak", "menolak", "hadir"]),
    ("Nama saya Maria Ulfa, saya bernama lengkap begitu. Atas nama Dewi Lestari. Nama: Agus Salim",
     ["Maria", "Ulfa", "Dewi", "Lestari", "Agus", "Salim"], ["Nama saya", "Atas nama"]),
])
def test_rules_remove_personal_data(text, gone, kept):
    out = redact(text)
    for item in gone:
        assert item not in out, (item, out)
    for item in kept:
        assert item in out, (item, out)


def test_rules_leave_public_facts_alone():
    text = ("Sesuai UU No. 25 Tahun 2009 dan Perwali No. 3 Tahun 2020, Bapak Kepala Dinas menetapkan biaya Rp 1.500.000 "
            "pada 02-11-2026 pukul 10.00; Ibu Kota Nusantara; a.n. Kepala Dinas; surat 000.8.3.4/0057/DPMPTSP/2026.")
    assert redact(text) == text


def test_recorded_names_and_addresses_go_even_without_an_honorific():
    r = Redactor.for_case(names=["Drs. Hendra Gunawan, M.Si."], addresses=["Kampung Baru Ujung, Pangkalpinang 33129"],
                          literals=["0812 1111 2222"], keep=["(0717) 421234", "humas@kantor.go.id"])
    out = r("HENDRA hadir bersama hendra gunawan; tinggal di Kampung Baru Ujung, Pangkalpinang 33129. "
            "Kantor: (0717) 421234, humas@kantor.go.id; pribadi: 0812-1111-2222.")
    assert "HENDRA" not in out and "hendra" not in out and "Kampung Baru" not in out and "2222" not in out
    assert "(0717) 421234" in out and "humas@kantor.go.id" in out  # the office's own contacts stay
    assert out.count("[nama]") == 2 and "[alamat]" in out and "[nomor telepon]" in out


# ---- complaints full of personal data, end to end --------------------------------------------------

NAMED = Complainant(name="Rahmat Hidayatullah", nik="1971012345678901", phone="0812-7788-9900",
                    email="rahmat.hid@contoh.id", address="Jl. Kenanga No. 7, RT 004/RW 002, Kelurahan Bukit Besar, Pangkalpinang")
NAMED_TEXT = ("Saya Rahmat Hidayatullah (NIK 1971012345678901) tinggal di Jl. Kenanga No. 7 RT 004/RW 002.\n"
              "Hubungi 0812 7788 9900 atau +62 812-7788-9900, atau email rahmat.hid@contoh.id.\n"
              "Tetangga saya Ibu Sulastri Wibowo juga mengalami hal sama, nomor WA beliau 0857-1122-3344.\n"
              "Izin usaha bengkel saya belum terbit sejak 2 November 2026.")
NAMED_ANSWER = ("Menindaklanjuti pengaduan Sdr. Rahmat Hidayatullah, Tim Lapangan telah meninjau lokasi di Jl. Kenanga No. 7 "
                "bersama Hendra Gunawan selaku ketua RT setempat.\n"
                "Izin usaha bengkel telah diverifikasi dan akan terbit dalam 3 (tiga) hari kerja.\n"
                "Informasi lanjut dapat ditanyakan ke nomor layanan kantor 0852-4660-5953.")
ANON_TEXT = ("Saya tidak mau disebut namanya. Pesan WA ini dari nomor +6281399887766.\n"
             "Ada pungutan liar di loket 3 oleh petugas bernama Pak Joko Susilo sebesar Rp 500.000.\n"
             "Balasan ke email anon.pelapor@gmail.com saja.")
ANON_SUBJECT = "Dugaan pungutan liar di loket <script>alert('x')</script> & lainnya"
ANON_ANSWER = ("Terima kasih atas laporan Saudara. Petugas loket 3 telah diperiksa Inspektorat dan dikenai sanksi disiplin.\n"
               "Seluruh layanan perizinan tidak dipungut biaya.")
DHR_ANSWER = "Berkas Bapak Yusuf Maulana di Jorong Koto Tuo telah diverifikasi; izin usaha terbit 10 Desember 2026."

PII = ["Rahmat", "Hidayatullah", "RAHMAT", "1971012345678901", "0812-7788-9900", "0812 7788 9900", "812-7788-9900",
       "rahmat.hid", "Kenanga", "RT 004", "RW 002", "004/RW", "Bukit Besar", "Sulastri", "Wibowo", "0857-1122-3344",
       "Hendra", "Gunawan", "Joko", "Susilo", "+6281399887766", "anon.pelapor", "gmail.com",
       "Yusuf", "Maulana", "Koto Tuo", "0813 6677 8899"]
NUMBERS = ["1971012345678901", "081277889900", "6281277889900", "085711223344", "6281399887766", "081366778899"]


def pangkalpinang_walk(naskah: Naskah, complainant: Complainant, *, channel: str, subject: str, content: str,
                       answer: str, field_check: bool) -> str:
    """Register and walk to the end with the demo script's data; the reply's text is ``answer``."""
    office = naskah.office("pangkalpinang")
    _, actions = load_script(office.source)
    register = naskah.register_complaint("pangkalpinang", received_by="staf", channel=channel, complainant=complainant,
                                         subject=subject, content=content).register
    drafted = False
    for action in actions:
        step = action.step
        if action.do == "return" or (step == "8" and drafted) or (not field_check and step in ("5", "6", "7")):
            continue
        data = copy.deepcopy(action.data)
        choice = action.choice
        if step == "4":
            choice = "ya" if field_check else "tidak"
        if step == "7":
            data["body"]["saksi"] = [{"name": "Hendra Gunawan", "jabatan": "Ketua RT 004"}]
        if step == "8":
            data["body"]["isi"] = answer
            drafted = True
        assert naskah.view(register).waiting.id == step
        if action.do == "act":
            naskah.act(register, action.as_, data=data, choice=choice)
        elif action.do == "paraf":
            naskah.paraf(register, action.as_, PASS)
        else:
            naskah.sign(register, action.as_, PASS)
    assert naskah.view(register).state.closed
    return register


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("publication")
    with Naskah(home) as naskah:
        naskah.create_demo_keys("pangkalpinang", DEMO_PASSPHRASE)
        pangkalpinang_walk(naskah, NAMED, channel="email", subject="Izin usaha Rahmat Hidayatullah belum terbit",
                           content=NAMED_TEXT, answer=NAMED_ANSWER, field_check=True)
        pangkalpinang_walk(naskah, Complainant(anonymous=True), channel="whatsapp", subject=ANON_SUBJECT,
                           content=ANON_TEXT, answer=ANON_ANSWER, field_check=False)
        naskah.register_complaint("pangkalpinang", received_by="staf", channel="telepon",
                                  complainant=Complainant(name="Lina Marlina", phone="0819 5555 4444"),
                                  subject="Antrian panjang", content="BELUM-DIJAWAB: antrian terlalu panjang.")
        dhr = Complainant(name="Yusuf Maulana", phone="0813 6677 8899", address="Jorong Koto Tuo, Nagari Koto Tuo")
        register = naskah.register_complaint("dharmasraya", received_by="petugas", channel="telepon", complainant=dhr,
                                             subject="Izin usaha Yusuf Maulana", content="Izin belum terbit.",
                                             choice="lisan").register
        naskah.act(register, "petugas")
        naskah.act(register, "petugas", choice="ya")
        naskah.act(register, "petugas", choice="selesai",
                   data={"body": {"oleh": "Petugas Layanan Pengaduan", "pernyataan": "Puas", "penyelesaian": DHR_ANSWER}})
        naskah.act(register, "petugas")
        assert naskah.view(register).state.closed
    return home


def pdftext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def assert_no_personal_data(text: str) -> None:
    for item in PII:
        assert item not in text, item
    digits = re.sub(r"[\s\-.()+]", "", text)
    for number in NUMBERS:
        assert number not in digits, number


def test_publish_removes_personal_data_and_keeps_the_answers(home, tmp_path):
    out = tmp_path / "publik"
    result = run_naskah(home, "publish", "--out", str(out), "--year", str(YEAR))
    assert result.returncode == 0, result.stderr
    assert "2 answered complaint(s) published" in result.stdout
    html = (out / f"publikasi-jawaban-pangkalpinang-{YEAR}.html").read_text(encoding="utf-8")
    pdf_path = out / f"publikasi-jawaban-pangkalpinang-{YEAR}.pdf"
    assert b"pdfaid:part" in pdf_path.read_bytes()
    pdf = flat(pdftext(pdf_path))
    page = flat(html)

    for text in (page, pdf):
        assert_no_personal_data(text)
        # the answers are published
        assert "Izin usaha bengkel telah diverifikasi dan akan terbit dalam 3 (tiga) hari kerja." in text
        assert "Petugas loket 3 telah diperiksa Inspektorat dan dikenai sanksi disiplin." in text
        assert "Seluruh layanan perizinan tidak dipungut biaya." in text
        # with the complaint, its personal data replaced
        assert "Izin usaha bengkel saya belum terbit sejak 2 November 2026." in text
        assert "Saya [nama] (NIK [NIK]) tinggal di [alamat]." in text
        assert "oleh petugas bernama [nama] sebesar Rp 500.000." in text
        assert "ke nomor layanan kantor 0852-4660-5953" in text  # the office's own number is public
        assert "BELUM-DIJAWAB" not in text  # not answered: not published
        assert "DAFTAR JAWABAN PENGADUAN MASYARAKAT" in text.upper()
    # an anonymous complainant: no name, no contact, no sender, not even "Anonim"
    assert "Anonim" not in page and "Anonim" not in pdf
    # the HTML is self-contained and escaped
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; lainnya" in html
    assert "<script" not in html.lower()
    for forbidden in ("http:", "https:", "src=", "<link", "url(", "@import", "<img", "<iframe"):
        assert forbidden not in html, forbidden
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_publish_form_answers_of_another_sop(home, tmp_path):
    result = run_naskah(home, "publish", "--office", "dharmasraya", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "publikasi-jawaban-dharmasraya.html").read_text(encoding="utf-8")
    pdf = flat(pdftext(tmp_path / "publikasi-jawaban-dharmasraya.pdf"))
    for text in (flat(html), pdf):
        assert_no_personal_data(text)
        assert "Berkas Bapak [nama] di [alamat] telah diverifikasi; izin usaha terbit 10 Desember 2026." in text


def test_publish_of_a_year_without_answers_and_bad_arguments(home, tmp_path):
    before = YEAR - 1
    result = run_naskah(home, "publish", "--out", str(tmp_path), "--year", str(before))
    assert result.returncode == 0, result.stderr
    assert "0 answered complaint(s) published" in result.stdout
    html = (tmp_path / f"publikasi-jawaban-pangkalpinang-{before}.html").read_text(encoding="utf-8")
    none = f"Belum ada pengaduan yang telah dijawab pada tahun {before}."
    assert none in html
    assert none in flat(pdftext(tmp_path / f"publikasi-jawaban-pangkalpinang-{before}.pdf"))
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    result = run_naskah(home, "publish", "--out", str(blocked / "sub"))
    assert result.returncode == 2 and "cannot write into" in result.stderr
    assert blocked.read_text() == "x"
    result = run_naskah(home, "publish", "--out", str(tmp_path / "x"), "--year", "26")
    assert result.returncode == 2 and "give a year such as 2026" in result.stderr
