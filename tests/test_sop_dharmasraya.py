"""The Dharmasraya SOP (DPMPTSP Kabupaten Dharmasraya) end to end, with real LibreOffice and the
real archive: every branch and loop of the seed's flow, the documents each walk produces, the
decisions recorded, the filed Pernyataan Puas/Tidak Puas, and the refusals of the engine.

The seed names no letter with paraf/TTE, so the SOP has no route and no walk signs anything; the
filed documents carry no signature (checked with pdfsig)."""

from __future__ import annotations

import io
import os
import re
import subprocess
from pathlib import Path

import pytest
from docx import Document

from correspondence.catalog import template_file
from correspondence.complaint import Complainant
from correspondence.demo import DEMO_PASSPHRASE, run_demo
from correspondence.documents import render_docx
from correspondence.drafting import build_context
from correspondence.errors import NotAllowed
from correspondence.services import Naskah

ROOT = Path(__file__).resolve().parent.parent
NASKAH = ROOT / ".venv" / "bin" / "naskah"
OFFICE = "dharmasraya"
PASS = DEMO_PASSPHRASE.encode()

RAHMAT = Complainant(name="Rahmat Hidayat", phone="0812-6600-1234", address="Jorong Koto Baru, Dharmasraya")


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("naskah-dharmasraya")


@pytest.fixture(scope="module")
def naskah(home):
    service = Naskah(home)
    yield service
    service.close()


def run(*cmd: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, **(env or {})})


def pdftext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    return run("pdftotext", "-layout", str(path), "-").stdout


def walk(naskah: Naskah, *, channel: str, path: str, steps: list[tuple], complainant=RAHMAT,
         subject="Izin usaha belum selesai") -> str:
    """Register and play ``steps`` = [(step id, official, choice, data)], checking each waiting step."""
    report = naskah.register_complaint(OFFICE, received_by="petugas", channel=channel, complainant=complainant,
                                       subject=subject, content="Izin belum terbit.\nMohon kejelasan.", choice=path)
    register = report.register
    for step_id, official, choice, data in steps:
        assert naskah.view(register).waiting.id == step_id
        naskah.act(register, official, choice=choice, data=data)
    return register


def doc_keys(naskah: Naskah, register: str) -> list[str]:
    """Document keys in production order (one entry per PDF)."""
    return [d.doc_key for d in naskah.view(register).documents if d.media == "pdf"]


def analisis(can_handle: str) -> dict:
    return {"body": {"kategori": "Pelayanan perizinan", "penyebab": "Berkas belum dipindai ke sistem.",
                     "tindakan": "Pindai dan verifikasi dalam 2 hari kerja.",
                     "kesimpulan": f"Dapat ditangani TPP: {can_handle}.", "anggota": ["ketua_tpp", "anggota_tpp"]}}


def pernyataan(state: str, oleh: str = "Petugas Layanan Pengaduan") -> dict:
    return {"body": {"oleh": oleh, "pernyataan": state, "penyelesaian": "Izin telah terbit.", "alasan": ""}}


PENETAPAN = {"body": {"kategori": "Koordinasi lintas perangkat daerah", "penyebab": "Rekomendasi teknis belum diterima.",
                      "tindakan": "Kepala Dinas berkoordinasi dengan perangkat daerah teknis.",
                      "kesimpulan": "Diselesaikan melalui koordinasi Kepala Dinas."}}
NOTE = {"note": "dicatat"}


# ---- the SOP itself ------------------------------------------------------------------------------

def test_sop_is_valid_with_limits_obligation_and_no_route(naskah):
    office = naskah.office(OFFICE)
    sop = naskah.sop_of(office)
    assert [s.id for s in sop.steps] == ["1", "2", "3", "4", "5", "6", "7", "7a", "7b", "8", "8a",
                                         "pernyataan", "penutupan"]
    limits = {s.id: str(s.time_limit) for s in sop.steps if s.time_limit}
    assert limits == {"1": "1 hari", "7a": "5 hari", "8": "8 hari"}
    assert [str(limit.limit) for limit in sop.limits] == ["14 hari kerja"]
    assert any("Bupati Dharmasraya setiap tahun" in o for o in sop.obligations)
    assert sop.first.decision.options == {"lisan": "2", "tertulis": "4"}
    # the seed names no letter that gets paraf/TTE: no route, no draft/paraf/sign step
    assert all(not d.route for d in sop.documents.values())
    assert not [s for s in sop.steps if s.action in ("draft", "paraf", "sign")]


def test_sop_check_cli_exits_zero(tmp_path):
    result = run(str(NASKAH), "sop", "check", "correspondence/sops/dharmasraya.yaml", "--office", OFFICE,
                 env={"NASKAH_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr


# ---- the walks -----------------------------------------------------------------------------------

def test_lisan_satisfied_after_officer_explanation(naskah, tmp_path):
    register = walk(naskah, channel="telepon", path="lisan", steps=[
        ("2", "petugas", None, NOTE),
        ("3", "petugas2", "ya", {"note": "Kategori informasi; dijelaskan langsung."}),
        ("pernyataan", "petugas", "selesai", pernyataan("Puas")),
        ("penutupan", "petugas", None, NOTE),
    ])
    view = naskah.view(register)
    assert view.state.closed
    assert view.state.decisions == {"jalur": "lisan", "puas": "ya", "tindak_lanjut": "selesai"}
    assert doc_keys(naskah, register) == ["formulir_pengaduan", "pernyataan_puas"]
    assert [e.step for e in view.history] == ["1", "2", "3", "pernyataan", "penutupan"]
    # the Pernyataan is numbered and filed; no signature (the SOP has no TTE)
    [letter] = view.letters
    assert letter.doc_key == "pernyataan_puas"
    assert re.fullmatch(r"000\.8\.3\.4/\d{4}/DPMPTSP-DHR/2\d{3}", letter.nomor)
    text = pdftext(naskah.archive.read(letter.nomor), tmp_path)
    assert "PERNYATAAN PUAS/TIDAK PUAS" in text and letter.nomor in text
    # one box checked, the first row (PUAS) before the second (TIDAK PUAS)
    assert text.count("☑") == 1 and text.count("☐") == 1 and text.index("☑") < text.index("☐")
    path = tmp_path / "pernyataan.pdf"
    path.write_bytes(naskah.archive.read(letter.nomor))
    out = run("pdfsig", str(path))
    assert "Signature is Valid" not in out.stdout and "does not contain any signatures" in out.stdout + out.stderr
    formulir = pdftext(naskah.document(register, "formulir_pengaduan"), tmp_path)
    assert "FORMULIR PENGADUAN MASYARAKAT" in formulir and register in formulir
    assert "Telepon" in formulir and "Rahmat Hidayat" in formulir
    assert "JAWABAN/TANGGAPAN" not in formulir  # no answer given on the form


def test_tertulis_not_satisfied_tpp_solves_then_satisfied(naskah, tmp_path):
    register = walk(naskah, channel="kotak_pengaduan", path="tertulis", steps=[
        ("4", "petugas", None, {"note": "Surat kepada Bupati Cq. Kepala DPMPTSP."}),
        ("5", "petugas", None, {"note": "Kotak dibuka; dibaca, dicatat, direkapitulasi."}),
        ("6", "petugas", "tidak", {"note": "Dijelaskan; pengadu belum puas."}),
        ("7", "petugas", None, NOTE),
        ("7a", "anggota_tpp", "ya", analisis("ya")),
        ("7b", "petugas", None, NOTE),
        ("pernyataan", "petugas", "selesai", pernyataan("Puas", "Tim Penanganan Pengaduan")),
        ("penutupan", "petugas", None, NOTE),
    ])
    view = naskah.view(register)
    assert view.state.closed
    assert view.state.decisions == {"jalur": "tertulis", "puas": "tidak", "ditangani_tpp": "ya",
                                    "tindak_lanjut": "selesai"}
    assert doc_keys(naskah, register) == ["formulir_pengaduan", "analisis_tpp", "pernyataan_puas"]
    text = pdftext(naskah.document(register, "analisis_tpp"), tmp_path)
    assert "HASIL ANALISIS PENYEBAB MASALAH DAN PENETAPAN TINDAKAN" in text
    assert "Fajar Ramadhan" in text and "Yulia Andriani" in text  # signer and members
    assert "Kotak Pengaduan" in pdftext(naskah.document(register, "formulir_pengaduan"), tmp_path)


def test_tpp_cannot_solve_escalates_to_kadis_anonymous_closes_without_statement(naskah, tmp_path):
    register = walk(naskah, channel="datang_langsung", path="lisan", complainant=Complainant(anonymous=True), steps=[
        ("2", "petugas", None, NOTE),
        ("3", "petugas", "tidak", NOTE),
        ("7", "petugas", None, NOTE),
        ("7a", "ketua_tpp", "tidak", analisis("tidak")),
        ("8", "kadis", None, PENETAPAN),
        ("8a", "petugas", "tidak", {"note": "Pengadu anonim: informasi diumumkan, tanpa pernyataan."}),
        ("penutupan", "petugas", None, NOTE),
    ])
    view = naskah.view(register)
    assert view.state.closed
    assert view.state.decisions == {"jalur": "lisan", "puas": "tidak", "ditangani_tpp": "tidak",
                                    "pernyataan_dibuat": "tidak"}
    assert doc_keys(naskah, register) == ["formulir_pengaduan", "analisis_tpp", "penetapan_kadis"]
    assert view.letters == ()
    text = pdftext(naskah.document(register, "penetapan_kadis"), tmp_path)
    assert "HASIL PEMBAHASAN DAN PENETAPAN TINDAKAN KEPALA DINAS" in text
    assert "Hendri Syaputra" in text
    assert "Anonim" in pdftext(naskah.document(register, "formulir_pengaduan"), tmp_path)


def test_demo_walks_the_loop_and_the_escalation(naskah):
    """demo.yaml: tertulis, not satisfied, TPP acts, Pernyataan Tidak Puas, facilitated again, TPP
    cannot solve, Kepala Dinas, Pernyataan Puas, closed."""
    lines: list[str] = []
    register, signed = run_demo(naskah, OFFICE, lines.append)
    assert signed == []  # no letter with TTE in this SOP
    steps = [m.group(1) for line in lines if (m := re.match(r"\[step\s+(\S+)\]", line))]
    assert steps == ["1", "4", "5", "6", "7", "7a", "7b", "pernyataan", "7", "7a", "8", "8a", "pernyataan",
                     "penutupan"]
    view = naskah.view(register)
    assert view.state.closed and lines[-1].startswith(f"complaint {register} closed")
    # the last answer of each decision is what the state keeps; the history keeps every choice
    assert view.state.decisions == {"jalur": "tertulis", "puas": "tidak", "ditangani_tpp": "tidak",
                                    "pernyataan_dibuat": "ya", "tindak_lanjut": "selesai"}
    choices = [(e.step, e.data.get("choice")) for e in view.history if e.data.get("choice")]
    assert choices == [("6", "tidak"), ("7a", "ya"), ("pernyataan", "fasilitasi"), ("7a", "tidak"),
                       ("8a", "ya"), ("pernyataan", "selesai")]
    assert doc_keys(naskah, register) == ["formulir_pengaduan", "analisis_tpp", "pernyataan_puas", "analisis_tpp",
                                          "penetapan_kadis", "pernyataan_puas"]
    assert [letter.doc_key for letter in view.letters] == ["pernyataan_puas", "pernyataan_puas"]


# ---- refusals ------------------------------------------------------------------------------------

def test_steps_not_allowed_by_the_sop_are_refused(naskah):
    report = naskah.register_complaint(OFFICE, received_by="petugas", channel="sms", complainant=RAHMAT,
                                       subject="Antrian", content="Antrian lama.", choice="tertulis")
    register = report.register
    assert naskah.view(register).waiting.id == "4"
    with pytest.raises(NotAllowed):  # step 4 is the petugas's, not the Kepala Dinas's
        naskah.act(register, "kadis", data=NOTE)
    with pytest.raises(NotAllowed):  # no paraf anywhere in this SOP
        naskah.paraf(register, "kadis", PASS)
    with pytest.raises(NotAllowed):  # no TTE either
        naskah.sign(register, "kadis", PASS)
    with pytest.raises(NotAllowed):  # a record step has no decision
        naskah.act(register, "petugas", choice="ya", data=NOTE)
    naskah.act(register, "petugas", data=NOTE)
    naskah.act(register, "petugas", data=NOTE)
    with pytest.raises(NotAllowed):  # step 6 must be answered: puas ya/tidak
        naskah.act(register, "petugas", data=NOTE)
    with pytest.raises(NotAllowed):
        naskah.act(register, "petugas", choice="mungkin", data=NOTE)
    with pytest.raises(NotAllowed):  # the intake is the petugas's, not the TPP's
        naskah.register_complaint(OFFICE, received_by="ketua_tpp", channel="telepon", complainant=RAHMAT,
                                  subject="x", content="y", choice="lisan")
    with pytest.raises(NotAllowed):  # the intake step asks lisan or tertulis
        naskah.register_complaint(OFFICE, received_by="petugas", channel="telepon", complainant=RAHMAT,
                                  subject="x", content="y")
    assert naskah.view(register).waiting.id == "6"


def test_closed_complaint_takes_no_more_steps(naskah):
    register = walk(naskah, channel="whatsapp", path="tertulis", steps=[
        ("4", "petugas", None, NOTE), ("5", "petugas", None, NOTE), ("6", "petugas", "ya", NOTE),
        ("pernyataan", "petugas", "selesai", pernyataan("Puas")), ("penutupan", "petugas", None, NOTE),
    ])
    assert naskah.view(register).state.closed
    with pytest.raises(NotAllowed):
        naskah.act(register, "petugas", data=NOTE)


# ---- the generic formulir (also used by other offices) ---------------------------------------------

def _formulir_text(naskah, register: str, body: dict) -> str:
    office = naskah.office(OFFICE)
    view = naskah.view(register)
    context = build_context(office=office, complaint=view.complaint, signer=office.official("petugas"),
                            data={"body": body}, hal="Formulir", today=view.complaint.received_at)
    docx = Document(io.BytesIO(render_docx(template_file(office, "formulir_pengaduan.docx"), context)))
    parts = [p.text for p in docx.paragraphs]
    parts += [c.text for t in docx.tables for r in t.rows for c in r.cells]
    return "\n".join(parts)


def test_formulir_answer_section_only_when_jawaban_given(naskah):
    report = naskah.register_complaint(OFFICE, received_by="petugas", channel="formulir", complainant=RAHMAT,
                                       subject="Info syarat izin", content="Apa syaratnya?", choice="lisan")
    without = _formulir_text(naskah, report.register, {})
    assert "JAWABAN/TANGGAPAN" not in without
    with_answer = _formulir_text(naskah, report.register, {
        "jawaban": "Syarat izin tercantum pada standar pelayanan.\nSilakan datang ke loket 2.",
        "penjawab": {"name": "Ir. Contoh Penjawab", "jabatan": "Kepala Bidang Pelayanan", "nip": "19700101 199903 1 002"},
        "kategori": "Informasi",
    })
    assert "JAWABAN/TANGGAPAN ATAS PENGADUAN" in with_answer
    assert "Silakan datang ke loket 2." in with_answer and "Ir. Contoh Penjawab" in with_answer
    assert "Kepala Bidang Pelayanan," in with_answer and "NIP. 19700101 199903 1 002" in with_answer
    assert "Informasi" in with_answer


# ---- the command line demo -----------------------------------------------------------------------

def test_cli_demo_prints_every_step(tmp_path):
    result = run(str(NASKAH), "demo", "--sop", "dharmasraya", env={"NASKAH_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    steps = re.findall(r"^\[step\s+(\S+)\]", result.stdout, re.M)
    assert steps == ["1", "4", "5", "6", "7", "7a", "7b", "pernyataan", "7", "7a", "8", "8a", "pernyataan",
                     "penutupan"]
    assert "closed" in result.stdout
    assert len(re.findall(r"^filed: 000\.8\.3\.4/\d{4}/DPMPTSP-DHR/\d{4} Pernyataan", result.stdout, re.M)) == 2
