"""SOP 34/SOP/DTKP/2020 of Disnakerin Kota Padang, end to end, with real LibreOffice, real PAdES
signatures and the real archive, checked by poppler.

Two walks cover every branch and every loop of the SOP:

* with field check (step 5 'ya': laporan hasil pemeriksaan at step 6); the Kasi returns the draft
  (back to the petugas, step 7), then the Kabid returns it (back to the Kasi, step 8);
* without field check (step 5 'tidak': the petugas answers in writing); the Sekretaris returns the
  draft (back to the Kabid, step 9), then the Kadis returns it (back to the Sekretaris, step 10).

Both end with paraf Kasi, paraf Kabid, paraf Sekretaris, TTE Kadis and the answer posted back on
LAPOR! (step 12).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from correspondence.catalog import load_office_named, load_sop_named
from correspondence.complaint import Complainant
from correspondence.demo import DEMO_PASSPHRASE
from correspondence.errors import InvalidInput, NotAllowed
from correspondence.services import Naskah

PASS = DEMO_PASSPHRASE.encode()
ROOT = Path(__file__).resolve().parents[1]
NASKAH = str(Path(sys.executable).with_name("naskah"))
ROUTE = ["kasi", "kabid", "sekretaris", "kadis"]
DISPOSISI = {"disposisi_sekretaris", "disposisi_kabid", "disposisi_kasi"}


def run(*cmd: str, data: bytes | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, input=data, timeout=300, **kw)


def pdftext(pdf: bytes, *options: str) -> str:
    return " ".join(run("pdftotext", *options, "-", "-", data=pdf).stdout.decode().split())


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("padang-home")


@pytest.fixture(scope="module")
def naskah(home):
    service = Naskah(home)
    service.create_demo_keys("padang", DEMO_PASSPHRASE)
    yield service
    service.close()


@pytest.fixture(scope="module")
def printout(tmp_path_factory) -> Path:
    """Stands in for the page printed from www.lapor.go.id (SOP step 2)."""
    path = tmp_path_factory.mktemp("lapor") / "cetak-lapor.pdf"
    path.write_bytes(b"%PDF-1.4\n% cetakan laporan dari www.lapor.go.id\n%%EOF\n")
    return path


def disposisi(jabatan: str) -> dict:
    return {"letter": {"hal": "Pengaduan pekerja"},
            "body": {"sifat": "Segera", "diteruskan": [{"jabatan": jabatan, "utama": True}],
                     "instruksi": ["Proses lebih lanjut"], "catatan": "Tindak lanjuti.", "batas_waktu": "2026-12-04"}}


def intake_to_step5(naskah: Naskah, printout: Path, *, lapor_id: str, complainant: Complainant) -> str:
    """Steps 1 to 4: intake from LAPOR!, printout and agenda, disposisi Sekretaris and Kabid."""
    report = naskah.register_complaint(
        "padang", received_by="admin", channel="lapor", lapor_id=lapor_id, complainant=complainant,
        subject="Upah lembur tidak dibayar", content="Upah lembur Oktober 2026 tidak dibayar perusahaan.",
    )
    reg = report.register
    assert report.step.id == "1" and report.waiting.id == "2"
    naskah.act(reg, "admin", data={"note": "Dicetak dan diagendakan"}, attachments=[printout])
    naskah.act(reg, "sekretaris", data=disposisi("Kepala Bidang Hubungan Industrial"))
    naskah.act(reg, "kabid", data=disposisi("Kepala Seksi Persyaratan Kerja"))
    return reg


def approve(naskah: Naskah, reg: str, *officials: str) -> None:
    for official in officials:
        naskah.paraf(reg, official, PASS)


@pytest.fixture(scope="module")
def walk_field_check(naskah, printout):
    lapor_id = "5320001"
    reg = intake_to_step5(naskah, printout, lapor_id=lapor_id, complainant=Complainant(name="Andi Saputra", phone="0812-1"))
    naskah.act(reg, "kasi", choice="ya", data=disposisi("Mediator Hubungan Industrial"))
    naskah.act(reg, "petugas1", data={"body": {  # no 'mediasi': the template prints "-"
        "tanggal": "2026-11-24", "tempat": "PT Contoh Abadi, Padang", "petugas": ["petugas1", "petugas2"],
        "hasil": "Lembur tercatat tetapi tidak dibayar.", "saran": "Bayar upah lembur.",
        "kesimpulan": "Aduan terbukti."}})
    naskah.act(reg, "petugas1", data={
        "letter": {"hal": "Hasil Pemeriksaan Lapangan", "kepada": ["Pimpinan PT Contoh Abadi"],
                   "tembusan": ["Sdr. Andi Saputra (pelapor)", "Arsip"]},
        "body": {"isi": "Versi satu."}})
    naskah.return_draft(reg, "kasi", "Lampirkan hasil pemeriksaan")
    naskah.act(reg, "petugas1", data={"body": {"isi": "Versi dua dari petugas."}})
    approve(naskah, reg, "kasi")
    naskah.return_draft(reg, "kabid", "Sebutkan dasar hukum")
    naskah.act(reg, "kasi", data={"body": {"isi": "Versi tiga, dikoreksi Kepala Seksi."}})
    approve(naskah, reg, "kasi", "kabid", "sekretaris")
    signed = naskah.sign(reg, "kadis", PASS)
    naskah.act(reg, "admin", data={"note": f"Ditanggapi di www.lapor.go.id, laporan {lapor_id}"})
    return {"reg": reg, "lapor_id": lapor_id, "nomor": signed.nomor, "final": "Versi tiga, dikoreksi Kepala Seksi.",
            "returns": [("8", "kasi", "7"), ("9", "kabid", "8")], "field_check": True,
            "visits": ["1", "2", "3", "4", "5", "6", "7", "8", "7", "8", "9", "8", "8", "9", "10", "11", "12"]}


@pytest.fixture(scope="module")
def walk_written_answer(naskah, printout):
    lapor_id = "5320002"
    reg = intake_to_step5(naskah, printout, lapor_id=lapor_id, complainant=Complainant(anonymous=True))
    naskah.act(reg, "kasi", choice="tidak", data=disposisi("Penelaah Teknis Kebijakan"))
    naskah.act(reg, "petugas2", data={"letter": {"kepada": [f"Pelapor LAPOR! nomor tiket {lapor_id}"]},
                                      "body": {"isi": "Jawaban tertulis versi satu."}})
    approve(naskah, reg, "kasi", "kabid")
    naskah.return_draft(reg, "sekretaris", "Perjelas ketentuan upah lembur")
    naskah.act(reg, "kabid", data={"body": {"isi": "Jawaban tertulis versi dua dari Kepala Bidang."}})
    approve(naskah, reg, "kasi", "kabid", "sekretaris")
    naskah.return_draft(reg, "kadis", "Tambahkan jalur pengaduan lanjutan")
    naskah.act(reg, "sekretaris", data={"body": {"isi": "Jawaban tertulis versi tiga dari Sekretaris."}})
    approve(naskah, reg, "kasi", "kabid", "sekretaris")
    signed = naskah.sign(reg, "kadis", PASS)
    naskah.act(reg, "admin", data={"note": f"Ditanggapi di www.lapor.go.id, laporan {lapor_id}"})
    return {"reg": reg, "lapor_id": lapor_id, "nomor": signed.nomor,
            "final": "Jawaban tertulis versi tiga dari Sekretaris.",
            "returns": [("10", "sekretaris", "9"), ("11", "kadis", "10")], "field_check": False,
            "visits": ["1", "2", "3", "4", "5", "7", "8", "9", "10", "9", "8", "9", "10", "11", "10",
                       "8", "9", "10", "11", "12"]}


@pytest.fixture(scope="module", params=["field_check", "written_answer"])
def walk(request):
    return request.getfixturevalue(f"walk_{request.param}")


@pytest.fixture(scope="module")
def signed_pdf(naskah, walk, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("signed") / "jawaban.pdf"
    path.write_bytes(naskah.archive.read(walk["nomor"]))
    return path


# -- the SOP as data ---------------------------------------------------------------------------

def test_sop_follows_the_seed(home):
    office = load_office_named("padang", home)
    sop = load_sop_named("padang", home, office)
    assert [s.id for s in sop.steps] == [str(i) for i in range(1, 13)]
    assert sop.channels == ("lapor",)
    limits = {s.id: str(s.time_limit) if s.time_limit else "-" for s in sop.steps}
    assert limits == {"1": "-", "2": "1 jam", "3": "1 hari", "4": "1 jam", "5": "1 jam", "6": "3 hari",
                      "7": "1 jam", "8": "1 jam", "9": "1 jam", "10": "1 jam", "11": "1 jam", "12": "30 menit"}
    actors = [s.actor for s in sop.steps]
    assert actors == ["admin", "admin", "sekretaris", "kabid", "kasi", "petugas", "petugas", "kasi", "kabid",
                      "sekretaris", "kadis", "admin"]
    assert sop.step("5").decision.options == {"ya": "6", "tidak": "7"}
    assert {s.id: s.returns_to for s in sop.steps if s.returns_to} == {"8": "7", "9": "8", "10": "9", "11": "10"}
    route = sop.documents["surat_jawaban"].route
    assert [(e.actor, e.action) for e in route] == [("kasi", "paraf"), ("kabid", "paraf"), ("sekretaris", "paraf"),
                                                   ("kadis", "tte")]
    assert {sop.documents[k].template for k in DISPOSISI} == {"lembar_disposisi.docx"}
    signing = {o.id for o in office.officials if o.key}
    assert signing == set(ROUTE)
    for official in office.officials:
        if official.key:
            assert official.key == f"keys/padang/{official.id}.p12"
            assert official.certificate == f"keys/padang/{official.id}.pem"


def test_sop_check_command_passes(tmp_path):
    result = run(NASKAH, "sop", "check", "correspondence/sops/padang.yaml", "--office", "padang", cwd=ROOT,
                 env={**os.environ, "NASKAH_HOME": str(tmp_path)}, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout


# -- the two walks -----------------------------------------------------------------------------

def test_walk_visits_the_steps_of_its_branch(naskah, walk):
    view = naskah.view(walk["reg"])
    visits = [e.step for e in view.history]
    assert visits == walk["visits"]
    assert view.state.closed and view.waiting is None
    assert view.state.decisions == {"pemeriksaan_lapangan": "ya" if walk["field_check"] else "tidak"}
    returns = [(e.step, e.official) for e in view.history if e.action == "return"]
    assert returns == [(step, official) for step, official, _ in walk["returns"]]
    revisers = [(e.step, e.official) for e in view.history if e.action == "revise"]
    role_at = {"7": ("petugas1", "petugas2"), "8": ("kasi",), "9": ("kabid",), "10": ("sekretaris",)}
    assert [r[0] for r in revisers] == [back for _, _, back in walk["returns"]]
    assert all(official in role_at[step] for step, official in revisers)
    assert [e.action for e in view.history].count("paraf") == (4 if walk["field_check"] else 8)


def test_walk_produces_its_documents(naskah, walk):
    view = naskah.view(walk["reg"])
    keys = {d.doc_key for d in view.documents}
    expected = DISPOSISI | {"surat_jawaban"} | ({"laporan_hasil_pemeriksaan"} if walk["field_check"] else set())
    assert keys == expected
    assert {d.version for d in view.documents if d.doc_key == "surat_jawaban"} == {1, 2, 3}
    assert [(letter.doc_key, letter.nomor) for letter in view.letters] == [("surat_jawaban", walk["nomor"])]
    assert re.fullmatch(r"000\.8\.3\.4/\d{4}/DTKP/2\d{3}", walk["nomor"])
    agenda = view.complaint.register
    assert re.fullmatch(r"\d{4}/SM/DTKP/2\d{3}", agenda)
    for key in DISPOSISI:  # each lembar disposisi carries the nomor agenda of the incoming complaint
        assert agenda in pdftext(naskah.document(walk["reg"], key))
    if walk["field_check"]:
        laporan = pdftext(naskah.document(walk["reg"], "laporan_hasil_pemeriksaan"))
        assert "LAPORAN HASIL PEMERIKSAAN LAPANGAN" in laporan and walk["lapor_id"] in laporan
        assert "Doni Saputra" in laporan and "Silvia Rahmadani" in laporan
        # no 'mediasi' given: "-" is printed (-layout, or pdftotext joins a line ending in "-")
        layout = pdftext(naskah.document(walk["reg"], "laporan_hasil_pemeriksaan"), "-layout")
        assert "3. Mediasi dan koordinasi - 4. Kesimpulan" in layout


def test_walk_keeps_the_lapor_id_and_posts_back(naskah, walk):
    view = naskah.view(walk["reg"])
    assert view.complaint.channel == "lapor" and view.complaint.lapor_id == walk["lapor_id"]
    intake, printed = view.history[0], view.history[1]
    assert intake.action == "register" and intake.official == "admin" and intake.data["channel"] == "lapor"
    assert printed.step == "2" and printed.action == "record" and printed.data["attachments"] == ["cetak-lapor.pdf"]
    last = view.history[-1]
    assert (last.step, last.action, last.official) == ("12", "deliver", "admin")
    assert walk["lapor_id"] in last.note and "lapor.go.id" in last.note


def test_signed_letter_shows_lapor_id_nomor_and_final_text(signed_pdf, walk):
    text = pdftext(signed_pdf.read_bytes())
    assert f"LAPOR! nomor tiket {walk['lapor_id']}" in text
    assert walk["nomor"] in text and walk["final"] in text
    assert "YUNISMAN, SE, MM" in text
    if walk["field_check"]:
        assert "Pimpinan PT Contoh Abadi" in text and "Sdr. Andi Saputra (pelapor)" in text


def test_signature_order_and_verification(naskah, signed_pdf):
    report = naskah.verify(signed_pdf.read_bytes(), "padang")
    assert report.ok, report.to_text()
    assert [s.official_id for s in report.signatures] == ROUTE


def test_pdfsig_four_valid_signatures_last_covering_all(signed_pdf):
    out = run("pdfsig", str(signed_pdf), text=True).stdout
    assert out.count("Signature is Valid") == 4, out
    blocks = out.split("Signature #")[1:]
    assert len(blocks) == 4
    assert "Total document signed" in blocks[-1]
    assert all("Total document signed" not in b for b in blocks[:-1])


# -- what the SOP does not allow -------------------------------------------------------------------

def test_steps_not_allowed_by_the_sop_are_refused(naskah, printout):
    with pytest.raises(InvalidInput, match="lapor"):  # the SOP receives complaints from LAPOR! only
        naskah.register_complaint("padang", received_by="admin", channel="email", complainant=Complainant(anonymous=True),
                                  subject="s", content="c")
    with pytest.raises(NotAllowed, match="Admin/Sekretariat"):
        naskah.register_complaint("padang", received_by="kasi", channel="lapor", complainant=Complainant(anonymous=True),
                                  subject="s", content="c")
    reg = intake_to_step5(naskah, printout, lapor_id="5320003", complainant=Complainant(anonymous=True))
    before = naskah.view(reg)
    with pytest.raises(NotAllowed, match="Kepala Seksi"):  # step 5 is the Kasi's, not the petugas'
        naskah.act(reg, "petugas1", data={})
    with pytest.raises(NotAllowed, match="ya, tidak"):  # the decision must be answered with an option
        naskah.act(reg, "kasi", choice="mungkin", data=disposisi("Petugas"))
    with pytest.raises(NotAllowed):  # nothing to sign yet
        naskah.sign(reg, "kadis", PASS)
    with pytest.raises(NotAllowed):  # a disposisi step cannot return anything
        naskah.return_draft(reg, "kasi", "tidak setuju")
    after = naskah.view(reg)
    assert after.state == before.state and after.documents == before.documents and after.history == before.history

    naskah.act(reg, "kasi", choice="tidak", data=disposisi("Petugas"))
    with pytest.raises(NotAllowed):  # step 7 has no decision
        naskah.act(reg, "petugas1", choice="ya", data={"body": {"isi": "x"}})
    naskah.act(reg, "petugas1", data={"body": {"isi": "Jawaban."}})
    with pytest.raises(NotAllowed, match="Kepala Seksi"):  # paraf out of route order
        naskah.paraf(reg, "sekretaris", PASS)
    with pytest.raises(NotAllowed):
        naskah.sign(reg, "kadis", PASS)
    with pytest.raises(NotAllowed):  # step 12 (posting on LAPOR!) before the letter is signed
        naskah.act(reg, "admin", data={"note": "diunggah"})
    with pytest.raises(NotAllowed):  # only the official at the waiting step may return the draft
        naskah.return_draft(reg, "kabid", "tidak setuju")
    naskah.return_draft(reg, "kasi", "Perbaiki")
    with pytest.raises(NotAllowed):  # the petugas must make a new version first
        naskah.paraf(reg, "kasi", PASS)
    assert naskah.view(reg).waiting.id == "7"


# -- the command line ------------------------------------------------------------------------------

def test_cli_demo_runs_and_ends_with_the_verified_letter(tmp_path):
    result = run(NASKAH, "demo", "--sop", "padang", env={**os.environ, "NASKAH_HOME": str(tmp_path)}, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    steps = [m.group(1) for line in out.splitlines() if (m := re.match(r"\[step\s+(\d+)\]", line))]
    assert steps == ["1", "2", "3", "4", "5", "6", "7", "8", "7", "8", "9", "10", "11", "12"]
    for title in ("Lembar Disposisi Sekretaris", "Lembar Disposisi Kepala Bidang", "Lembar Disposisi Kepala Seksi",
                  "Laporan Hasil Pemeriksaan Lapangan"):
        assert title in out
    assert re.search(r"closed after .* signed and filed: 000\.8\.3\.4/\d{4}/DTKP/\d{4}", out)
    assert "Route            : Paraf_1_kasi -> Paraf_2_kabid -> Paraf_3_sekretaris -> TTE_kadis" in out
    assert out.rstrip().endswith("Verdict: VALID")
