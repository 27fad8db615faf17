"""The Kutai Kartanegara SOP (P.20.3/DPMPTSP/BID.II.3/057/01/2020) run end to end from data only:
every branch of the seed walked with real LibreOffice, real PAdES signatures and the real archive.

Walks: the daily check that finds no complaint; an information complaint answered by the Kabid on
the form; another bidang's complaint without field review; and with field review (undangan,
notulen), the reply returned once by the Kabid and once by the Kepala Dinas, then paraf, TTE,
outgoing mail, delivery and archiving.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from correspondence.complaint import Complainant
from correspondence.demo import DEMO_PASSPHRASE
from correspondence.engine import CaseState, Engine
from correspondence.errors import NotAllowed
from correspondence.services import Naskah

OFFICE = "kutai-kartanegara"
PASS = DEMO_PASSPHRASE.encode()
ROOT = Path(__file__).resolve().parent.parent
NASKAH = str(Path(sys.executable).with_name("naskah"))

PENJAWAB_KABID = {"name": "Drs. Bahauddin", "jabatan": "Kepala Bidang Pengendalian dan Advokasi",
                  "nip": "19680314 199403 1 008"}
PENJAWAB_BIDANG = {"name": "Rahmat Hidayat, S.T., M.T.",
                   "jabatan": "Kepala Bidang Pelayanan Perizinan dan Non Perizinan"}
BALASAN = {"letter": {"sifat": "Biasa", "lampiran": "-"},
           "body": {"isi": "Permohonan Saudara telah ditindaklanjuti oleh bidang terkait."}}


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("naskah-kukar")


@pytest.fixture(scope="module")
def naskah(home):
    service = Naskah(home)
    service.create_demo_keys(OFFICE, DEMO_PASSPHRASE)
    yield service
    service.close()


@pytest.fixture(scope="module")
def sop(naskah):
    return naskah.sop_of(naskah.office(OFFICE))


def register(naskah: Naskah, channel: str, subject: str, content: str = "Isi aduan dari masyarakat.") -> str:
    report = naskah.register_complaint(
        OFFICE, received_by="kasi", channel=channel, complainant=Complainant(name="Andi Pratama", phone="0813-0000-1111"),
        subject=subject, content=content,
    )
    assert report.waiting.id == "2"
    return report.register


def sort_to(naskah: Naskah, reg: str, category: str) -> None:
    """Steps 2-4: the daily check finds it, the Kasi sorts it, the Kabid routes it by category."""
    naskah.act(reg, "kasi", choice="ya", data={"note": "Pemeriksaan harian: ada aduan."})
    naskah.act(reg, "kasi", data={"note": "Dipilah menurut bidang yang dituju."})
    naskah.act(reg, "kabid", choice=category, data={"note": f"Jenis aduan: {category}."})


def finish(naskah: Naskah, reg: str, *, outgoing: bool) -> None:
    """10a (when a letter was signed), 11 deliver, 12 archive."""
    if outgoing:
        assert naskah.view(reg).waiting.id == "10a"
        naskah.act(reg, "kasubbag_umum", data={"note": "Dicatat sebagai surat keluar."})
    assert naskah.view(reg).waiting.id == "11"
    naskah.act(reg, "kasi", data={"note": "Disampaikan kepada pemohon."})
    naskah.act(reg, "kasi", data={"note": "Berkas diarsipkan."})
    assert naskah.view(reg).state.closed


def doc_keys(naskah: Naskah, reg: str) -> set[str]:
    return {d.doc_key for d in naskah.view(reg).documents}


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def check_signed_reply(naskah: Naskah, reg: str, tmp_path: Path) -> bytes:
    view = naskah.view(reg)
    (letter,) = [x for x in view.letters if x.doc_key == "surat_balasan"]
    pdf = naskah.archive.read(letter.nomor)
    report = naskah.verify(pdf, OFFICE)
    assert report.ok, report.to_text()
    assert [s.official_id for s in report.signatures] == ["kabid", "kadis"]
    path = tmp_path / "balasan.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert out.count("Signature is Valid") == 2, out
    assert letter.nomor in pdf_text(pdf)
    return pdf


# -- the SOP as loaded -------------------------------------------------------------------

def test_steps_follow_the_seed_numbering(sop):
    assert [s.id for s in sop.steps] == ["1", "2", "3", "4", "5", "6", "7", "8", "9", "9a", "10", "10a", "11", "12"]
    assert sop.code == "P.20.3/DPMPTSP/BID.II.3/057/01/2020"
    assert set(sop.channels) >= {"website", "email", "whatsapp", "sms", "formulir"}
    assert [(e.actor, e.action) for e in sop.documents["surat_balasan"].route] == [("kabid", "paraf"), ("kadis", "tte")]
    assert sop.step("9a").returns_to == "9" and sop.step("10").returns_to == "9"


def test_time_limits_keep_the_seeds_units(sop):
    limits = {s.id: (s.time_limit.value, s.time_limit.unit) if s.time_limit else None for s in sop.steps}
    assert limits == {
        "1": (10, "menit"), "2": (5, "menit"), "3": (10, "menit"), "4": (3, "menit"), "5": (3, "jam"),
        "6": (3, "jam"), "7": (3, "jam"), "8": None, "9": (10, "menit"), "9a": None, "10": (5, "menit"),
        "10a": None, "11": (40, "menit"), "12": (3, "menit"),
    }
    assert str(sop.step("11").time_limit) == "40 menit" and str(sop.step("5").time_limit) == "3 jam"


def test_decisions_lead_where_the_seed_says(sop):
    engine = Engine(sop)
    to = lambda step, choice: engine.complete(CaseState(current=step), choice).current  # noqa: E731
    assert to("2", "tidak") is None and to("2", "ya") == "3"
    for category in ("informasi", "rekomendasi_teknis", "evaluasi_layanan"):
        assert to("4", category) == "5"
    assert to("4", "lainnya") == "6"
    assert to("6", "ya") == "7" and to("6", "tidak") == "9"
    assert to("5", None) == "11" and to("8", None) == "9" and to("10a", None) == "11" and to("12", None) is None
    with pytest.raises(NotAllowed, match="Answer with one of: informasi, rekomendasi_teknis, evaluasi_layanan, lainnya"):
        engine.complete(CaseState(current="4"), None)


# -- the walks -------------------------------------------------------------------------------

def test_daily_check_without_complaint_ends_with_nothing_but_the_intake(naskah):
    # A box entry that holds no complaint (an empty form): the check ends the activity.
    reg = register(naskah, "kotak_pengaduan", "Formulir kosong di kotak pengaduan", "(formulir tidak diisi)")
    report = naskah.act(reg, "kasi", choice="tidak", data={"note": "Tidak ada keluhan; aktivitas selesai."})
    assert report.waiting is None
    view = naskah.view(reg)
    assert view.state.closed and view.state.decisions == {"ada_aduan": "tidak"}
    assert doc_keys(naskah, reg) == {"form_pengaduan"}
    assert view.letters == ()
    assert [e.action for e in view.history] == ["register", "record"]


def test_information_complaint_is_answered_by_the_kabid_on_the_form(naskah):
    reg = register(naskah, "website", "Informasi persyaratan izin reklame")
    sort_to(naskah, reg, "informasi")
    assert naskah.view(reg).waiting.id == "5"
    with pytest.raises(NotAllowed):  # step 5 is the Kabid's, not the bidang's
        naskah.act(reg, "kabid_pelayanan", data={})
    report = naskah.act(reg, "kabid", data={"body": {
        "kategori": "Informasi", "penjawab": PENJAWAB_KABID,
        "jawaban": "Persyaratan izin reklame dapat dilihat di laman DPMPTSP dan diajukan melalui OSS."}})
    assert report.documents == ("Form Pengaduan (jawaban Kepala Bidang)",)
    finish(naskah, reg, outgoing=False)
    view = naskah.view(reg)
    assert doc_keys(naskah, reg) == {"form_pengaduan", "form_jawaban"}
    assert view.letters == ()
    assert view.state.decisions == {"ada_aduan": "ya", "jenis_aduan": "informasi"}
    text = pdf_text(naskah.document(reg, "form_jawaban"))
    assert "JAWABAN/TANGGAPAN" in text and "Persyaratan izin reklame" in text and "Drs. Bahauddin" in text
    assert [e.step for e in view.history] == ["1", "2", "3", "4", "5", "11", "12"]


def test_other_bidang_without_field_review(naskah, tmp_path):
    reg = register(naskah, "sms", "Sertifikat laik fungsi belum terbit")
    sort_to(naskah, reg, "lainnya")
    naskah.act(reg, "kabid_pelayanan", choice="tidak",
               data={"body": {"penjawab": PENJAWAB_BIDANG, "jawaban": "Berkas dilengkapi; SLF terbit minggu ini."}})
    assert naskah.view(reg).waiting.id == "9"
    naskah.act(reg, "kasi", data=BALASAN)
    naskah.paraf(reg, "kabid", PASS)
    signed = naskah.sign(reg, "kadis", PASS)
    finish(naskah, reg, outgoing=True)
    view = naskah.view(reg)
    assert doc_keys(naskah, reg) == {"form_pengaduan", "form_tindak_lanjut", "surat_balasan"}
    assert [x.doc_key for x in view.letters] == ["surat_balasan"] and view.letters[0].nomor == signed.nomor
    assert view.state.decisions == {"ada_aduan": "ya", "jenis_aduan": "lainnya", "peninjauan_lapangan": "tidak"}
    check_signed_reply(naskah, reg, tmp_path)


def test_field_review_and_returns_by_kabid_and_kadis(naskah, tmp_path):
    reg = register(naskah, "email", "Izin usaha bengkel belum diproses", "Lokasi usaha dipersoalkan tetangga.")
    sort_to(naskah, reg, "lainnya")
    naskah.act(reg, "kabid_penanaman_modal", choice="ya",
               data={"body": {"penjawab": PENJAWAB_BIDANG, "jawaban": "Perlu peninjauan lokasi bersama Dinas PUPR."}})
    undangan = naskah.act(reg, "kasi", data={"body": {
        "tanggal": "2026-11-26", "waktu": "09.00 WITA s.d. selesai", "tempat": "Jl. Panjaitan No. 5, Tenggarong",
        "acara": "Peninjauan lapangan atas pengaduan izin usaha bengkel",
        "undangan": [{"jabatan": "Kepala Bidang Tata Ruang", "instansi": "Dinas PUPR"}, {"jabatan": "Camat Tenggarong"}]}})
    assert re.fullmatch(r"000\.8\.3\.4/\d{4}/DPMPTSP/2\d{3}", undangan.nomor), undangan.nomor
    naskah.act(reg, "kasi", data={"body": {
        "tanggal": "2026-11-26", "waktu": "13.30 WITA", "selesai": "15.00 WITA", "tempat": "Ruang rapat Bidang Pengendalian",
        "pimpinan": PENJAWAB_KABID, "peserta": ["kabid", "kabid_penanaman_modal", {"name": "Ir. Hendra", "jabatan": "Dinas PUPR"}],
        "pembahasan": "Lokasi berada di zona perdagangan dan jasa.", "keputusan": "Lokasi sesuai tata ruang."}})
    assert naskah.view(reg).waiting.id == "9"

    naskah.act(reg, "kasi", data=BALASAN)                              # v1
    with pytest.raises(NotAllowed):                                    # the Kadis signs only after the paraf
        naskah.sign(reg, "kadis", PASS)
    naskah.return_draft(reg, "kabid", "Cantumkan hasil peninjauan lapangan.")
    assert naskah.view(reg).waiting.id == "9" and naskah.view(reg).state.revising
    naskah.act(reg, "kasi", data={"body": {"isi": "Hasil peninjauan: lokasi sesuai tata ruang."}})  # v2
    assert naskah.view(reg).waiting.id == "9a"
    naskah.paraf(reg, "kabid", PASS)
    naskah.return_draft(reg, "kadis", "Sebutkan batas waktu penyelesaian izin.")
    assert naskah.view(reg).waiting.id == "9"                          # back to the Kasi
    naskah.act(reg, "kasi", data={"body": {"isi": "Hasil peninjauan: lokasi sesuai tata ruang.\n"
                                                  "Izin diselesaikan paling lambat 2 (dua) hari kerja."}})  # v3
    assert naskah.view(reg).waiting.id == "9a"                         # the route starts over
    naskah.paraf(reg, "kabid", PASS)
    naskah.sign(reg, "kadis", PASS)
    finish(naskah, reg, outgoing=True)

    view = naskah.view(reg)
    assert doc_keys(naskah, reg) == {"form_pengaduan", "form_tindak_lanjut", "undangan_peninjauan", "notulen", "surat_balasan"}
    assert {d.version for d in view.documents if d.doc_key == "surat_balasan"} == {1, 2, 3}
    assert [x.doc_key for x in view.letters] == ["undangan_peninjauan", "surat_balasan"]
    actions = [e.action for e in view.history]
    assert actions.count("return") == 2 and actions.count("revise") == 2 and actions.count("paraf") == 2
    assert [e.step for e in view.history if e.action == "return"] == ["9a", "10"]
    pdf = check_signed_reply(naskah, reg, tmp_path)
    assert "paling lambat 2 (dua) hari kerja" in pdf_text(pdf)

    text = pdf_text(naskah.document(reg, "undangan_peninjauan"))
    for expected in (undangan.nomor, "Kamis, 26 November 2026", "09.00 WITA", "Camat Tenggarong", "Acara"):
        assert expected in text, expected
    text = pdf_text(naskah.document(reg, "notulen"))
    for expected in ("NOTULEN RAPAT", "Pimpinan rapat", "Notulis", "Hj. Suharningsih", "Rapat ditutup pukul 15.00 WITA",
                     "DAFTAR HADIR", "Ir. Hendra"):
        assert expected in text, expected


# -- the command line ----------------------------------------------------------------------

def run_cli(*args: str, home: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NASKAH_HOME": home}
    result = subprocess.run([NASKAH, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_cli_sop_check_and_show(home):
    result = run_cli("sop", "check", "correspondence/sops/kutai-kartanegara.yaml", "--office", OFFICE, home=str(home))
    assert result.returncode == 0, result.stdout + result.stderr
    shown = run_cli("sop", "show", "kutai-kartanegara", "--office", OFFICE, home=str(home))
    assert shown.returncode == 0, shown.stderr
    assert "40 menit" in shown.stdout and "3 jam" in shown.stdout


def test_cli_demo_ends_with_the_verified_letter():
    with tempfile.TemporaryDirectory() as fresh:
        result = run_cli("demo", "--sop", "kutai-kartanegara", home=fresh)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == "Verdict: VALID"
    assert "closed after" in result.stdout and "signed and filed: 000.8.3.4/" in result.stdout
    assert "Route            : Paraf_1_kabid -> TTE_kadis" in result.stdout
    steps = [line.split("]")[0].removeprefix("[step").strip() for line in lines if line.startswith("[step")]
    assert steps == ["1", "2", "3", "4", "6", "7", "8", "9", "9a", "9", "9a", "10", "10a", "11", "12"]
