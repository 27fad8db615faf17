"""PAdES levels with a real test PKI on loopback (tests/pkiserver.py): a B-LT reply letter made by
the whole services path validates, revocation checked, after the PKI's services are gone; B-T
letters carry their timestamp; revoked, expired and not-yet-valid certificates are refused at
signing time with nothing written; a DSS or a document timestamp after the TTE is accepted."""

from __future__ import annotations

import io
import json
import socket
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from clitools import advance_to_paraf, run_naskah  # tests/clitools.py
from correspondence.catalog import SHIPPED_OFFICES
from correspondence.demo import DEMO_PASSPHRASE, run_demo
from correspondence.services import Naskah
from pkiserver import TestPki, install_office, officials_of, pki_fixture, signed_letters
from signatures import ExpectedSignatory, sign_paraf, verify_pdf
from signatures.errors import CertificateExpired, CertificateNotYetValid, CertificateRevoked, TrustServiceUnavailable
from signatures.ltv import SignaturePolicy

PANGKALPINANG = SHIPPED_OFFICES / "pangkalpinang" / "office.yaml"
SIGNERS = ("kabid_wasdal", "sekretaris", "kadis")  # paraf, paraf, TTE of the surat jawaban
OFFICIALS = officials_of(PANGKALPINANG, SIGNERS)


pki = pki_fixture(OFFICIALS)


@pytest.fixture(scope="module")
def home(pki, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home-blt")
    install_office(home, pki, office_id="pangkalpinang", level="B-LT", passphrase=DEMO_PASSPHRASE)
    return home


@pytest.fixture(scope="module")
def demo(home) -> tuple[str, str, bytes]:
    """The Pangkalpinang demo, signed at B-LT: (register, nomor, the archived reply letter)."""
    with Naskah(home) as naskah:
        register, signed = run_demo(naskah, "pangkalpinang", lambda line: None)
        return register, signed[0], naskah.archive.read(signed[0])


@pytest.fixture(scope="module")
def bt_letters(pki, tmp_path_factory) -> dict:
    return signed_letters(pki, tmp_path_factory.mktemp("bt"), level="B-T")


def expected(pki: TestPki) -> dict[str, ExpectedSignatory]:
    return {o.official_id: ExpectedSignatory(o.official_id, o.name, o.nip, o.jabatan, pki.certificate(o.official_id))
            for o in pki.officials}


# --- B-LT through the services, validated with the PKI gone ---------------------------------


def test_blt_letter_validates_offline_with_revocation_checked(pki, home, demo, tmp_path):
    register, nomor, letter = demo
    path = tmp_path / "jawaban.pdf"
    path.write_bytes(letter)
    pki.stop()
    try:
        with pytest.raises(requests.ConnectionError):
            requests.get(pki.tsa_url, timeout=2)
        with Naskah(home) as naskah:
            report = naskah.verify(letter, "pangkalpinang")
        assert report.ok, report.to_text()
        assert [s.official_id for s in report.signatures] == list(SIGNERS)
        assert report.level == "B-LT" and {s.level for s in report.signatures} == {"B-LT"}
        for s in report.signatures:
            assert s.revocation.startswith("checked offline with the file's embedded data: ")
            assert f"OCSP for {s.signer_name}" in s.revocation and "CRL for Naskah Uji BSrE CA" in s.revocation
            assert s.timestamp_authority == "Naskah Uji Time Stamping Authority"
            assert s.trust_path[0] == "Naskah Uji Root CA" and s.trust_path[-1] == s.signer_name
        tte = report.signatures[-1]
        assert tte.covers_whole_document and tte.revision + 1 == report.revisions  # the DSS is in the TTE's revision
        result = run_naskah(home, "verify", str(path))
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.count("Level                   : B-LT") == 3 and "Verdict: VALID" in result.stdout
    finally:
        pki.start()


def test_blt_letter_fails_when_its_embedded_data_is_removed(pki, demo):
    """The offline check really uses the DSS: without the root's CRL the chain cannot be checked."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(demo[2]))
    del w.root["/DSS"]
    w.update_root()
    out = io.BytesIO()
    w.write(out)
    report = verify_pdf(out.getvalue(), trust_roots=[pki.root], signatories={})
    assert all(s.level == "B-T" for s in report.signatures)
    assert all("not checked: the file carries no revocation data" in s.revocation for s in report.signatures)


# --- B-T --------------------------------------------------------------------------------------


def test_bt_letter_shows_its_timestamp(pki, bt_letters):
    before = datetime.now(timezone.utc)
    report = verify_pdf(bt_letters["tte"], trust_roots=[pki.root], signatories=expected(pki))
    assert report.ok, report.to_text()
    for s in report.signatures:
        assert s.level == "B-T"
        assert s.timestamp_authority == "Naskah Uji Time Stamping Authority"
        assert abs((s.timestamp_time - s.signing_time).total_seconds()) < 60
        assert s.timestamp_time <= before
        assert s.revocation.startswith("not checked: the file carries no revocation data")
    text = report.to_text()
    assert "Timestamp               : 20" in text and "by Naskah Uji Time Stamping Authority" in text
    data = report.to_dict()
    assert data["level"] == "B-T" and data["signatures"][2]["timestamp_time"] is not None


def test_verify_judges_timestamped_and_ltv_letters_like_pyhanko(pki, bt_letters, demo):
    """B-T letters: the signing revisions are judged by Naskah (pyHanko's analysis skipped), B-LT letters
    (validation data in the DSS) by pyHanko; either way the report is the one pyHanko's analysis gives."""
    import sigtools

    fast, full, judged = sigtools.fast_and_full_verdicts(bt_letters["tte"], trust_roots=[pki.root],
                                                         signatories=expected(pki))
    assert judged == len(fast["signatures"]) - 1 and fast == full and fast["verdict"] == "VALID"
    fast, full, judged = sigtools.fast_and_full_verdicts(demo[2], trust_roots=[pki.root], signatories={})
    assert judged == 0 and fast == full


def test_dss_and_document_timestamp_after_the_tte_are_accepted(pki, bt_letters):
    """PAdES allows validation data and document timestamps after a DocMDP P=1 signature (the TTE)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers import PdfTimeStamper
    from pyhanko.sign.timestamps import HTTPTimeStamper
    from pyhanko.sign.validation import add_validation_info
    from pyhanko_certvalidator import ValidationContext

    pdf = bt_letters["tte"]
    for i in range(3):  # one DSS revision per signature, made after the TTE
        sig = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[i]
        context = ValidationContext(trust_roots=[pki.root], allow_fetching=True)
        pdf = add_validation_info(sig, context, output=io.BytesIO()).getvalue()
    report = verify_pdf(pdf, trust_roots=[pki.root], signatories=expected(pki))
    assert report.ok, report.to_text()
    tte = report.signatures[-1]
    assert report.revisions > tte.revision + 1 and not tte.covers_whole_document
    assert tte.modification_level == "LTA_UPDATES"
    assert tte.changes_after and all("validation data (DSS" in c for c in tte.changes_after)
    assert report.level == "B-LT"

    w = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = PdfTimeStamper(HTTPTimeStamper(pki.tsa_url)).timestamp_pdf(
        w, "sha256", validation_context=ValidationContext(trust_roots=[pki.root], allow_fetching=True))
    report = verify_pdf(out.getvalue(), trust_roots=[pki.root], signatories=expected(pki))
    assert report.ok, report.to_text()
    assert len(report.document_timestamps) == 1 and report.level == "B-LTA"
    assert any("document timestamp" in c for c in report.signatures[-1].changes_after)


# --- refusals at signing time -------------------------------------------------------------------


def test_revoked_expired_and_not_yet_valid_certificates_are_refused(pki, bt_letters):
    route, keys, settings = bt_letters["route"], bt_letters["keys"], bt_letters["settings"]
    blt = SignaturePolicy("B-LT", tsa_url=pki.tsa_url, trust_roots=(pki.root,))
    draft = bt_letters["prepared"]
    with pytest.raises(CertificateRevoked, match=r"revoked on .* \(a compromised key\); Paraf_1_kabid_wasdal was not signed"):
        sign_paraf(draft, route, 0, keys["kabid_wasdal_revoked"], settings, policy=blt)
    for policy in (SignaturePolicy(), blt):
        with pytest.raises(CertificateExpired, match=r"certificate cannot sign now: the certificate expired on"):
            sign_paraf(draft, route, 0, keys["kabid_wasdal_expired"], settings, policy=policy)
        with pytest.raises(CertificateNotYetValid, match=r"the certificate is not valid yet: valid from"):
            sign_paraf(draft, route, 0, keys["kabid_wasdal_notyet"], settings, policy=policy)
    assert sign_paraf(draft, route, 0, keys["kabid_wasdal"], settings, policy=blt)  # the draft itself is fine


def test_unreachable_tsa_is_a_clear_error(bt_letters):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nobody listens once the socket is closed
    policy = SignaturePolicy("B-T", tsa_url=f"http://127.0.0.1:{closed}/tsa", timeout=3)
    with pytest.raises(TrustServiceUnavailable, match="did not answer .*nothing was signed"):
        sign_paraf(bt_letters["prepared"], bt_letters["route"], 0, bt_letters["keys"]["kabid_wasdal"],
                   bt_letters["settings"], policy=policy)


def test_bad_keys_via_the_cli_write_nothing(pki, home, demo, tmp_path):
    """Revoked, expired, not-yet-valid certificate and wrong passphrase: exit 6, a clear message,
    and the case (state, documents, history) exactly as before; then the right key signs."""
    with Naskah(home) as naskah:
        reg = advance_to_paraf(naskah, subject="Uji sertifikat", content="Isi aduan")
    secret = tmp_path / "pass"
    secret.write_text(DEMO_PASSPHRASE + "\n")
    keys = home / "keys" / "pangkalpinang"
    good_p12, good_pem = (keys / "kabid_wasdal.p12").read_bytes(), (keys / "kabid_wasdal.pem").read_bytes()

    def case() -> str:
        return run_naskah(home, "complaint", "show", reg).stdout

    before = case()
    for variant, message in (("revoked", "certificate was revoked on"),
                             ("expired", "certificate cannot sign now: the certificate expired on"),
                             ("notyet", "certificate cannot sign now: the certificate is not valid yet")):
        pki.write_pkcs12(f"kabid_wasdal_{variant}", keys / "kabid_wasdal.p12", DEMO_PASSPHRASE)
        pki.write_certificate(f"kabid_wasdal_{variant}", keys / "kabid_wasdal.pem")
        result = run_naskah(home, "paraf", reg, "--as", "kabid_wasdal", "--passphrase-file", str(secret))
        assert result.returncode == 6, result.stdout + result.stderr
        assert message in result.stderr and result.stderr.startswith("error: ")
        assert case() == before
    (keys / "kabid_wasdal.p12").write_bytes(good_p12)
    (keys / "kabid_wasdal.pem").write_bytes(good_pem)
    wrong = run_naskah(home, "paraf", reg, "--as", "kabid_wasdal", stdin="salah\n")
    assert wrong.returncode == 6 and "passphrase" in wrong.stderr and case() == before
    right = run_naskah(home, "paraf", reg, "--as", "kabid_wasdal", "--passphrase-file", str(secret))
    assert right.returncode == 0, right.stderr
    assert case() != before
    # the TTE: an expired certificate takes no nomor and files nothing
    assert run_naskah(home, "paraf", reg, "--as", "sekretaris", "--passphrase-file", str(secret)).returncode == 0
    before, numbers = case(), run_naskah(home, "number", "list").stdout
    good_p12, good_pem = (keys / "kadis.p12").read_bytes(), (keys / "kadis.pem").read_bytes()
    pki.write_pkcs12("kadis_expired", keys / "kadis.p12", DEMO_PASSPHRASE)
    pki.write_certificate("kadis_expired", keys / "kadis.pem")
    try:
        result = run_naskah(home, "sign", reg, "--as", "kadis", "--passphrase-file", str(secret))
        assert result.returncode == 6 and "the certificate expired on" in result.stderr
        assert case() == before and run_naskah(home, "number", "list").stdout == numbers
    finally:
        (keys / "kadis.p12").write_bytes(good_p12)
        (keys / "kadis.pem").write_bytes(good_pem)
    signed = run_naskah(home, "sign", reg, "--as", "kadis", "--passphrase-file", str(secret))
    assert signed.returncode == 0, signed.stderr


def test_registered_certificate_is_enforced(pki, home, demo, tmp_path):
    """A valid key of the right official, but not the certificate the office registered: refused."""
    with Naskah(home) as naskah:
        reg = advance_to_paraf(naskah, subject="Uji sertifikat", content="Isi aduan")
    keys = home / "keys" / "pangkalpinang"
    good = (keys / "kabid_wasdal.p12").read_bytes()
    pki.write_pkcs12("kabid_wasdal_other", keys / "kabid_wasdal.p12", DEMO_PASSPHRASE)
    try:
        secret = tmp_path / "pass"
        secret.write_text(DEMO_PASSPHRASE + "\n")
        result = run_naskah(home, "paraf", reg, "--as", "kabid_wasdal", "--passphrase-file", str(secret))
        assert result.returncode == 6
        assert "is not the one registered for Hendra Gunawan, S.T. in the office profile" in result.stderr
    finally:
        (keys / "kabid_wasdal.p12").write_bytes(good)


# --- configuration ------------------------------------------------------------------------------


def test_timestamped_level_without_tsa_url_is_a_config_error(home, tmp_path):
    profile = tmp_path / "kantor" / "office.yaml"
    profile.parent.mkdir()
    text = PANGKALPINANG.read_text().replace("  paraf_visible: false\n", "  paraf_visible: false\n  level: B-LT\n")
    profile.write_text(text)
    junk = tmp_path / "x.pdf"
    junk.write_bytes(b"%PDF-1.7\n")
    result = run_naskah(home, "verify", str(junk), "--office", str(profile))
    assert result.returncode == 3
    assert str(profile) in result.stderr and "key 'signing'" in result.stderr
    assert "level B-LT needs a time-stamping authority: add tsa_url:" in result.stderr


def test_json_report_keeps_old_keys_and_adds_new_ones(home, demo, tmp_path):
    path = tmp_path / "jawaban.pdf"
    path.write_bytes(demo[2])
    data = json.loads(run_naskah(home, "verify", str(path), "--json").stdout)
    assert {"ok", "verdict", "sha256", "nomor", "tanggal", "route_fields", "missing", "signatures", "problems",
            "level", "revisions"} <= set(data)
    tte = data["signatures"][-1]
    assert {"field", "kind", "index", "official_id", "signer_name", "signer_nip", "signer_sha256", "signing_time",
            "reason", "revision", "intact", "trusted", "expected_signer_ok", "covers_whole_document",
            "modification_level", "ok", "problems"} <= set(tte)
    assert tte["route_role"] == "TTE" and tte["role"] == "kadis" and tte["level"] == "B-LT"
    assert tte["signer_jabatan"].startswith("Kepala Dinas Penanaman Modal")
    assert tte["trust_root"] == "Naskah Uji Root CA" and tte["timestamp_authority"]
    assert tte["coverage"].endswith("(whole file)") and len(tte["byte_range"]) == 4
    assert data["signatures"][0]["route_role"] == "paraf 1 of 2"
    assert data["signatures"][0]["changes_after"][-1].startswith(f"revision {data['revisions']}: ")
    assert "form field naskah_nomor = " in data["signatures"][0]["changes_after"][-1]
