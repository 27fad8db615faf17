"""`naskah verify` against tampered letters: each PDF is tampered here (pyHanko incremental updates,
pyHanko signing outside Naskah, raw bytes), and each run must exit 1 (or 2 for unreadable input)
naming the specific problem.

The letters are signed at B-LT with a real test PKI (tests/pkiserver.py); the office ``uji`` in the
test's NASKAH_HOME trusts that PKI's root and registers each official's certificate.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import requests
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import DocumentSecurityStore

from clitools import run_naskah  # tests/clitools.py
from pkiserver import OFFICIALS, install_office, pki_fixture, signed_letters

PASS = "uji-rahasia"


pki = pki_fixture(OFFICIALS)


@pytest.fixture(scope="module")
def letters(pki, tmp_path_factory) -> dict:
    return signed_letters(pki, tmp_path_factory.mktemp("letters"), level="B-LT", passphrase=PASS)


@pytest.fixture(scope="module")
def home(pki, tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home")
    install_office(home, pki, office_id="uji", level="B-LT", passphrase=PASS, replace_officials=True)
    return home


def verify(home: Path, tmp_path: Path, pdf: bytes, *extra: str):
    path = tmp_path / "surat.pdf"
    path.write_bytes(pdf)
    return run_naskah(home, "verify", str(path), "--office", "uji", *extra)


def assert_refused(result, *texts: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Verdict: INVALID" in result.stdout
    for text in texts:
        assert text in result.stdout, f"{text!r} not in:\n{result.stdout}"


# --- building tampered files ----------------------------------------------------------------


def incremental(pdf: bytes, change) -> bytes:
    w = IncrementalPdfFileWriter(io.BytesIO(pdf))
    change(w)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def change_page_content(w) -> None:
    """Overwrite the page's content stream with its own content plus a blue box (shadow attack)."""
    page_ref, _ = w.find_page_for_modification(0)
    raw = page_ref.get_object().raw_get("/Contents")
    target = raw.get_object()
    ref = raw if isinstance(target, generic.StreamObject) else target.raw_get(0)
    stream = ref.get_object()
    w.objects[(ref.generation, ref.idnum)] = generic.StreamObject(
        stream_data=stream.data + b"\n0 0 1 rg 72 400 200 40 re f\n")


def add_content_stream(w) -> None:
    w.add_stream_to_page(0, w.add_object(generic.StreamObject(stream_data=b"1 1 1 rg 72 300 300 60 re f")))


def add_annotation(w) -> None:
    page_ref, _ = w.find_page_for_modification(0)
    note = generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Annot"), pdf_name("/Subtype"): pdf_name("/FreeText"),
        pdf_name("/Rect"): generic.ArrayObject([generic.FloatObject(v) for v in (72, 500, 300, 540)]),
        pdf_name("/Contents"): pdf_string("Nomor yang benar: 999/PALSU"),
        pdf_name("/DA"): pdf_string("0 g /Helv 12 Tf"),
    })
    w.register_annotation(page_ref, w.add_object(note))


def change_nomor(w) -> None:
    for ref in w.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if field.get("/T") == "naskah_nomor":
            field[pdf_name("/V")] = pdf_string("999/PALSU/2026")
            w.mark_update(ref)
            return
    raise AssertionError("no naskah_nomor field")


def sign_outside_naskah(pdf: bytes, field: str, key) -> bytes:
    """A signature made with pyHanko directly: no route, signer or validity checks."""
    w = IncrementalPdfFileWriter(io.BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(field_name=field, subfilter=SigSeedSubFilter.PADES)
    return signers.sign_pdf(w, meta, signer=key.signer()).getvalue()


# --- the untampered letters -------------------------------------------------------------------


def test_untampered_letter_is_valid(home, letters, tmp_path):
    result = verify(home, tmp_path, letters["tte"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Verdict: VALID" in result.stdout and "Level                   : B-LT" in result.stdout


def test_untampered_draft_only_lacks_its_tte(home, letters, tmp_path):
    result = verify(home, tmp_path, letters["paraf2"], "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout)["problems"] == ["TTE TTE_kadis is not signed"]


# --- bytes and incremental updates ------------------------------------------------------------


def test_byte_changed_inside_a_signed_revision(home, letters, tmp_path):
    pdf = bytearray(letters["tte"])
    at = pdf.index(b"stream", pdf.index(b"/FontFile2")) + 300  # font program of the original letter
    pdf[at] ^= 0x20
    result = verify(home, tmp_path, bytes(pdf), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert [s["intact"] for s in report["signatures"]] == [False, False, False]
    assert all("the signature is not intact: the signed content was altered" in s["problems"]
               for s in report["signatures"])


@pytest.mark.parametrize("change, what", [
    (change_page_content, "page 1: content changed"),
    (add_content_stream, "page 1: content stream added"),
    (add_annotation, "page 1: FreeText annotation added"),
    (change_nomor, "form field naskah_nomor = '999/PALSU/2026' (was '000.8.3.4/0007/UJI/2026')"),
])
def test_update_after_the_tte(home, letters, tmp_path, change, what):
    result = verify(home, tmp_path, incremental(letters["tte"], change))
    assert_refused(
        result,
        f"revision 6 changes the document without a signature (after the last signature): {what}",
        "TTE_kadis: the document was changed after the TTE (only validation data may follow it): "
        f"revision 6: {what}",
        "the last signature does not cover the whole document",
    )


@pytest.mark.parametrize("change, what", [
    (change_page_content, "page 1: content changed"),
    (add_content_stream, "page 1: content stream added"),
    (add_annotation, "page 1: FreeText annotation added"),
    (change_nomor, "form field naskah_nomor = '999/PALSU/2026'"),
])
def test_update_after_the_last_paraf_of_a_draft(home, letters, tmp_path, change, what):
    result = verify(home, tmp_path, incremental(letters["paraf2"], change))
    assert_refused(result, f"revision 5 changes the document without a signature (after the last signature): {what}")
    if change is not change_nomor:  # a paraf allows form filling; content and annotations it does not
        assert f"Paraf_2_sekdin: changes after this signature are not permitted: revision 5: {what}" in result.stdout


# --- signatures made outside Naskah -----------------------------------------------------------


def test_tte_by_an_unexpected_certificate(home, letters, tmp_path):
    """A valid certificate of the same CA, but another official's, in the TTE field."""
    pdf = sign_outside_naskah(letters["paraf2"], "TTE_kadis", letters["keys"]["sekdin"])
    result = verify(home, tmp_path, pdf)
    assert_refused(result, "TTE_kadis: signed with a certificate other than Budi Santoso, S.Kom., M.T.'s "
                           "registered one (signer: Ir. Joko Prasetyo, NIP 197503032000031003)")
    assert "Trusted (terpercaya)    : yes (root: Naskah Uji Root CA)" in result.stdout


def test_missing_paraf(home, letters, tmp_path):
    pdf = sign_outside_naskah(letters["paraf1"], "TTE_kadis", letters["keys"]["kadis"])
    assert_refused(verify(home, tmp_path, pdf), "paraf Paraf_2_sekdin is not signed")


def test_missing_tte(home, letters, tmp_path):
    assert_refused(verify(home, tmp_path, letters["paraf2"]), "TTE TTE_kadis is not signed",
                   "Not signed yet (belum ditandatangani): TTE_kadis")


def test_wrong_order(home, letters, tmp_path):
    keys = letters["keys"]
    pdf = sign_outside_naskah(letters["prepared"], "Paraf_2_sekdin", keys["sekdin"])
    pdf = sign_outside_naskah(pdf, "Paraf_1_kasubag", keys["kasubag"])
    pdf = sign_outside_naskah(pdf, "TTE_kadis", keys["kadis"])
    assert_refused(verify(home, tmp_path, pdf),
                   "signatures were not made in the route's order: Paraf_2_sekdin -> Paraf_1_kasubag -> TTE_kadis")


def test_expired_certificate(home, letters, tmp_path):
    pdf = sign_outside_naskah(letters["paraf2"], "TTE_kadis", letters["keys"]["kadis_expired"])
    assert_refused(verify(home, tmp_path, pdf),
                   "TTE_kadis: the signer's certificate is not valid now", ": the certificate expired on",
                   "no timestamp proves the signature was made earlier")


def test_not_yet_valid_certificate(home, letters, tmp_path):
    pdf = sign_outside_naskah(letters["paraf2"], "TTE_kadis", letters["keys"]["kadis_notyet"])
    assert_refused(verify(home, tmp_path, pdf),
                   "TTE_kadis: the signer's certificate is not valid now",
                   ": the certificate is not valid yet: valid from")


def test_revoked_certificate_with_embedded_crl(home, letters, pki, tmp_path):
    """Signed with a certificate revoked three days earlier; the CRLs are added to the DSS afterwards."""
    pdf = sign_outside_naskah(letters["paraf2"], "TTE_kadis", letters["keys"]["kadis_revoked"])
    crls = [requests.get(f"{pki.url}/naskah-uji/crls/{ca}/latest.crl", timeout=10).content for ca in ("interm", "root")]
    from asn1crypto import crl

    out = io.BytesIO(pdf)
    DocumentSecurityStore.add_dss(out, None, crls=[crl.CertificateList.load(c) for c in crls])
    result = verify(home, tmp_path, out.getvalue())
    assert_refused(result, "TTE_kadis: the signer's certificate was revoked on", "(a compromised key)",
                   "the signer's certificate is REVOKED")


def test_revoked_certificate_found_online(home, letters, tmp_path):
    pdf = sign_outside_naskah(letters["paraf2"], "TTE_kadis", letters["keys"]["kadis_revoked"])
    offline = verify(home, tmp_path, pdf)
    assert "not checked: the file carries no revocation data for the signer's certificate" in offline.stdout
    assert "revoked" not in offline.stdout
    assert_refused(verify(home, tmp_path, pdf, "--online"), "TTE_kadis: the signer's certificate was revoked on")


def test_certificate_from_another_ca(home, letters, tmp_path):
    from signatures import Pkcs12KeySource, Signatory, create_demo_pki

    kadis = OFFICIALS[-1]
    other = create_demo_pki(tmp_path / "penipu", organisation="Penipu",
                            signatories=[Signatory(kadis.official_id, kadis.name, kadis.nip, kadis.jabatan)],
                            passphrase=PASS)
    pdf = sign_outside_naskah(letters["paraf2"], "TTE_kadis", Pkcs12KeySource(other.pkcs12["kadis"], PASS))
    assert_refused(verify(home, tmp_path, pdf),
                   "TTE_kadis: the signer's certificate is not trusted (no valid path to the trust roots; "
                   "issued by 'Penipu Demo CA')")


# --- not a letter at all --------------------------------------------------------------------


def test_not_a_pdf(home, tmp_path):
    result = verify(home, tmp_path, b"Surat ini bukan PDF.\n")
    assert result.returncode == 2 and "error: not a PDF file" in result.stderr
    assert result.stdout == ""


def test_truncated_pdf(home, letters, tmp_path):
    result = verify(home, tmp_path, letters["tte"][:-5000])  # cut inside the TTE's revision
    assert result.returncode == 2 and "error: the PDF is truncated" in result.stderr


def test_pdf_that_is_not_a_naskah_letter(home, letters, tmp_path):
    assert_refused(verify(home, tmp_path, letters["original"]),
                   "the PDF has no Naskah signature fields (not prepared by Naskah)")
