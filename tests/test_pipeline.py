"""End to end: one complaint through the twelve steps of SOP.WASDAL.002 with real
LibreOffice, real PAdES signatures and the real archive, checked by poppler and qpdf."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from clitools import advance_to_paraf  # tests/clitools.py
from correspondence import housekeeping
from correspondence.demo import DEMO_PASSPHRASE, run_demo
from correspondence.errors import NotAllowed
from correspondence.services import Naskah
from signatures.errors import WrongPassphrase

PASS = DEMO_PASSPHRASE.encode()


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("naskah-home")


@pytest.fixture(scope="module")
def naskah(home):
    service = Naskah(home)
    yield service
    service.close()


@pytest.fixture(scope="module")
def demo_run(naskah):
    lines: list[str] = []
    register, signed = run_demo(naskah, "pangkalpinang", lines.append)
    assert len(signed) == 1
    return register, signed[0], lines


@pytest.fixture(scope="module")
def filed_pdf(naskah, demo_run, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("out") / "jawaban.pdf"
    path.write_bytes(naskah.archive.read(demo_run[1]))
    return path


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def test_demo_walks_all_twelve_steps_with_one_return(demo_run):
    register, nomor, lines = demo_run
    steps = [int(m.group(1)) for line in lines if (m := re.match(r"\[step\s+(\d+)\]", line))]
    assert steps == [1, 2, 3, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12]
    assert re.fullmatch(r"000\.8\.3\.4/\d{4}/DPMPTSP-NAKER/2\d{3}", nomor)
    joined = "\n".join(lines)
    for title in ("Tanda Terima Pengaduan", "Telaahan Staf", "Lembar Disposisi", "Surat Tugas",
                  "Berita Acara Pemeriksaan Lapangan", "Surat Jawaban Pengaduan v1", "Surat Jawaban Pengaduan v2"):
        assert title in joined
    assert "return" in joined and "Cantumkan hasil pemeriksaan lapangan" in joined


def test_case_history_keeps_both_versions(naskah, demo_run):
    view = naskah.view(demo_run[0])
    assert view.state.closed
    versions = {d.version for d in view.documents if d.doc_key == "surat_jawaban"}
    assert versions == {1, 2}
    actions = [e.action for e in view.history]
    assert actions.count("return") == 1 and actions.count("paraf") == 2 and actions.count("sign") == 1
    kinds = {d.doc_key for d in view.documents}
    assert {"tanda_terima", "telaahan_staf", "lembar_disposisi", "surat_tugas", "bap", "surat_jawaban"} <= kinds
    assert [letter.doc_key for letter in view.letters] == ["surat_tugas", "surat_jawaban"]


def test_pdfsig_reports_three_valid_signatures_last_covering_all(filed_pdf):
    out = run("pdfsig", str(filed_pdf)).stdout
    assert out.count("Signature is Valid") == 3, out
    blocks = out.split("Signature #")[1:]
    assert len(blocks) == 3
    assert "Total document signed" in blocks[-1]
    assert "Total document signed" not in blocks[0]


def test_qpdf_check_passes(filed_pdf):
    result = run("qpdf", "--check", str(filed_pdf))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_font_is_embedded(filed_pdf):
    lines = run("pdffonts", str(filed_pdf)).stdout.splitlines()[2:]
    assert lines, "no fonts listed"
    for line in lines:
        assert re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", line), line
        emb = line.split()[-5]
        assert emb == "yes", f"font not embedded: {line}"


def test_signed_letter_shows_nomor_and_is_pdfa(filed_pdf, demo_run):
    text = run("pdftotext", str(filed_pdf), "-").stdout
    assert demo_run[1] in text
    assert b"pdfaid:part" in filed_pdf.read_bytes() or b"<pdfaid:part>2" in filed_pdf.read_bytes()


def test_archived_copy_verifies(naskah, demo_run, filed_pdf):
    report = naskah.verify(filed_pdf.read_bytes(), "pangkalpinang")
    assert report.ok, report.to_text()
    assert [s.official_id for s in report.signatures] == ["kabid_wasdal", "sekretaris", "kadis"]


def test_demo_runs_again_with_new_numbers(naskah, demo_run):
    lines: list[str] = []
    _, (second,) = run_demo(naskah, "pangkalpinang", lines.append)
    first_urut = int(demo_run[1].split("/")[1])
    assert int(second.split("/")[1]) == first_urut + 2  # the surat tugas took one number in between


def test_out_of_order_paraf_and_wrong_official_are_refused(naskah):
    reg = advance_to_paraf(naskah)
    with pytest.raises(NotAllowed, match="Kabid Wasdal"):
        naskah.paraf(reg, "sekretaris", PASS)
    with pytest.raises(NotAllowed):
        naskah.sign(reg, "kadis", PASS)
    with pytest.raises(NotAllowed):
        naskah.act(reg, "staf", data={})


def test_wrong_passphrase_changes_nothing(naskah):
    reg = advance_to_paraf(naskah)
    before = naskah.view(reg)
    with pytest.raises(WrongPassphrase):
        naskah.paraf(reg, "kabid_wasdal", b"salah")
    after = naskah.view(reg)
    assert after.state == before.state and after.documents == before.documents and after.history == before.history


def test_return_after_paraf_makes_a_new_version_without_parafs(naskah, tmp_path, monkeypatch):
    calls: list[bool] = []  # a long-lived service tidies memory after each filed letter, not after a paraf
    monkeypatch.setattr(naskah, "long_lived", True)
    monkeypatch.setattr(housekeeping, "after_letter", lambda: calls.append(True))
    reg = advance_to_paraf(naskah)
    naskah.paraf(reg, "kabid_wasdal", PASS)
    naskah.return_draft(reg, "sekretaris", "Perbaiki kalimat pembuka")
    with pytest.raises(NotAllowed):
        naskah.paraf(reg, "sekretaris", PASS)  # the Kabid must correct first
    report = naskah.act(reg, "kabid_wasdal", data={"body": {"isi": "Jawaban yang diperbaiki."}})
    assert "v2" in report.documents[0]
    new_draft = tmp_path / "v2.pdf"
    new_draft.write_bytes(naskah.document(reg, "surat_jawaban"))
    fields = run("pdfsig", str(new_draft)).stdout  # the earlier paraf does not carry over
    assert fields.count("The signature form field is not signed.") == 3 and "Signature is Valid" not in fields
    assert naskah.view(reg).waiting.id == "9"
    naskah.paraf(reg, "kabid_wasdal", PASS)
    naskah.paraf(reg, "sekretaris", PASS)
    assert calls == []
    signed = naskah.sign(reg, "kadis", PASS)
    assert calls == [True]
    letter = naskah.archive.read(signed.nomor)
    assert naskah.verify(letter, "pangkalpinang").ok
    text = subprocess.run(["pdftotext", "-", "-"], input=letter, capture_output=True).stdout.decode()
    assert "Jawaban yang diperbaiki." in text
