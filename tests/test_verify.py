"""What `naskah verify` and `verify_pdf` report per signature and for the document, on letters
signed with a real test PKI (tests/pkiserver.py): B-B, B-LT, online revocation checks, and a
mix of levels in one letter."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from clitools import run_naskah  # tests/clitools.py
from pkiserver import OFFICIALS, TestPki, install_office, signed_letters
from signatures import ExpectedSignatory, sign_tte, verify_pdf
from signatures.ltv import SignaturePolicy

PASS = "uji-rahasia"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    pki = TestPki(tmp_path_factory.mktemp("pki"), OFFICIALS, variants=())
    yield pki
    pki.stop()


@pytest.fixture(scope="module")
def blt(pki, tmp_path_factory) -> dict:
    return signed_letters(pki, tmp_path_factory.mktemp("blt"), level="B-LT", passphrase=PASS)


@pytest.fixture(scope="module")
def bb(pki, blt, tmp_path_factory) -> dict:
    return signed_letters(pki, tmp_path_factory.mktemp("bb"), level="B-B", original=blt["original"], passphrase=PASS)


@pytest.fixture(scope="module")
def home(pki, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home")
    install_office(home, pki, office_id="uji", level="B-LT", passphrase=PASS, replace_officials=True)
    return home


def expected(pki: TestPki) -> dict[str, ExpectedSignatory]:
    return {o.official_id: ExpectedSignatory(o.official_id, o.name, o.nip, o.jabatan, pki.certificate(o.official_id),
                                             role=f"peran_{o.official_id}") for o in OFFICIALS}


def test_text_report_of_a_blt_letter(home, blt, tmp_path):
    path = tmp_path / "surat.pdf"
    path.write_bytes(blt["tte"])
    result = run_naskah(home, "verify", str(path), "--office", "uji")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    blocks = out.split("\n[")[1:]
    assert len(blocks) == 3
    paraf1, paraf2, tte = blocks
    assert paraf1.startswith("1] Paraf 1 - field Paraf_1_kasubag")
    assert "Signer (penanda tangan) : Siti Aminah, S.E. (NIP. 198002022005012002)" in paraf1
    assert "Jabatan                 : Kepala Sub Bagian Umum dan Kepegawaian" in paraf1
    assert "Route role              : paraf 1 of 2, official kasubag (SOP role kasubag)" in paraf1
    assert "Route role              : TTE, official kadis (SOP role kadis)" in tte
    for block in blocks:
        assert re.search(r"Signing time            : 20\d\d-\d\d-\d\d \d\d:\d\d:\d\d", block)
        assert re.search(r"Timestamp               : 20\d\d-.* by Naskah Uji Time Stamping Authority", block)
        assert "Level                   : B-LT" in block
        assert "Trusted (terpercaya)    : yes (root: Naskah Uji Root CA)" in block
        assert "Trust path              : Naskah Uji Root CA > Naskah Uji BSrE CA > " in block
        assert "Revocation              : checked offline with the file's embedded data: CRL for Naskah Uji BSrE CA, OCSP for " in block
        assert "Expected official       : yes" in block
    assert re.search(r"Covers                  : revision 3 of 5, bytes 0-\d+ and \d+-\d+ of \d+\n", paraf1)
    assert "Changes after signing   : FORM_FILLING" in paraf1
    assert "revision 4: signature Paraf_2_sekdin; validation data (DSS" in paraf1
    assert re.search(r"revision 5: signature TTE_kadis; form field naskah_nomor = '000.8.3.4/0007/UJI/2026'", paraf1)
    assert re.search(r"Covers                  : revision 5 of 5, .* \(whole file\)", tte)
    assert "Changes after signing   : NONE" in tte
    assert "Nomor            : 000.8.3.4/0007/UJI/2026" in out and "Revisions        : 5; level B-LT" in out
    assert out.rstrip().endswith("Verdict: VALID") and "Problems:" not in out


def test_bb_letter_says_revocation_was_not_checked(pki, bb):
    report = verify_pdf(bb["tte"], trust_roots=[pki.root], signatories=expected(pki))
    assert report.ok, report.to_text()
    assert report.level == "B-B"
    for s in report.signatures:
        assert s.level == "B-B" and s.timestamp_time is None and s.timestamp_authority == ""
        assert s.revocation.startswith("not checked: the file carries no revocation data for the signer's certificate")
        assert s.role == f"peran_{s.official_id}"


def test_online_revocation_check(pki, bb):
    report = verify_pdf(bb["tte"], trust_roots=[pki.root], signatories=expected(pki), online=True)
    assert report.ok, report.to_text()
    assert {s.revocation for s in report.signatures} == {"checked online now (OCSP/CRL fetched from the CA)"}
    pki.stop()
    try:
        down = verify_pdf(bb["tte"], trust_roots=[pki.root], signatories=expected(pki), online=True)
    finally:
        pki.start()
    assert not down.ok
    assert all("its revocation status could not be established" in " ".join(s.problems) for s in down.signatures)


def test_bb_tte_after_blt_parafs(pki, blt):
    """A letter whose levels differ (the office changed its setting): each signature at its own level."""
    route, keys, settings = blt["route"], blt["keys"], blt["settings"]
    pdf = sign_tte(blt["paraf2"], route, keys["kadis"], settings, nomor="1/UJI/2026", tanggal="hari ini",
                   verification_ref="x", policy=SignaturePolicy(), registered=pki.certificate("kadis"))
    report = verify_pdf(pdf, trust_roots=[pki.root], signatories=expected(pki))
    assert report.ok, report.to_text()
    assert [s.level for s in report.signatures] == ["B-LT", "B-LT", "B-B"]
    assert report.level == "B-B"
    assert report.signatures[-1].revocation.startswith("not checked")


def test_validation_time_can_be_fixed(pki, bb):
    """``at`` after the certificates' end: a B-B letter no longer validates, and says why."""
    later = pki.now + timedelta(days=400)
    report = verify_pdf(bb["tte"], trust_roots=[pki.root], signatories=expected(pki), at=later)
    assert not report.ok
    problems = report.signatures[0].problems
    assert any("is not valid at the time asked for" in p and "the certificate expired on" in p for p in problems)


def test_json_report(home, blt, tmp_path):
    path = tmp_path / "surat.pdf"
    path.write_bytes(blt["paraf2"])
    result = run_naskah(home, "verify", str(path), "--office", "uji", "--json")
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["verdict"] == "INVALID" and data["missing"] == ["TTE_kadis"]
    assert data["problems"] == ["TTE TTE_kadis is not signed"]
    assert [s["route_role"] for s in data["signatures"]] == ["paraf 1 of 2", "paraf 2 of 2"]
    assert data["signatures"][1]["changes_after"] == [] and data["signatures"][1]["covers_whole_document"]
    assert data["signatures"][0]["revocation"].startswith("checked offline")


def test_verify_without_the_office_ca_says_where_to_put_it(blt, tmp_path):
    path = tmp_path / "surat.pdf"
    path.write_bytes(blt["tte"])
    result = run_naskah(tmp_path / "empty-home", "verify", str(path), "--office", "pangkalpinang")
    assert result.returncode == 6 and "ca.pem" in result.stderr
