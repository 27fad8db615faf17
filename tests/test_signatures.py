"""Paraf/TTE signing and verification, with real signatures (pyHanko), a real demo PKI and a
real LibreOffice PDF carrying Naskah's named destinations."""

from __future__ import annotations

import io
import json
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from signatures import (
    ExpectedSignatory,
    KeyLoadError,
    KeySource,
    NotANaskahDocument,
    NotAPdf,
    OutOfOrder,
    Pkcs12KeySource,
    Route,
    RouteMismatch,
    RouteStep,
    Signatory,
    SigningFailed,
    StampSettings,
    WrongPassphrase,
    WrongSigner,
    create_demo_pki,
    issue_demo_certificate,
    load_certificate,
    parse_field_name,
    prepare,
    sign_paraf,
    sign_tte,
    verify_pdf,
)
from signatures.signing import read_layout, validation_gate

import sigtools  # tests/sigtools.py (pytest puts tests/ on sys.path)

WIB = timezone(timedelta(hours=7))
PASS = "rahasia-demo"
NOMOR = "500.12.3/123/Diskominfo/XI/2026"
TANGGAL = "21 November 2026"
FOOTER = (
    "Dokumen ini telah ditandatangani secara elektronik menggunakan sertifikat elektronik "
    "yang diterbitkan oleh Balai Besar Sertifikasi Elektronik (BSrE), BSSN"
)

KASUBAG = Signatory("kasubag", "Siti Aminah, S.E.", "19800202 200501 2 002",
                    "Kepala Sub Bagian Umum dan Kepegawaian", "Penata Tk. I (III/d)")
SEKDIN = Signatory("sekdin", "Ir. Joko Prasetyo", "19750303 200003 1 003", "Sekretaris Dinas")
KADIS = Signatory("kadis", "Budi Santoso, S.Kom., M.T.", "19700101 199503 1 001",
                  "Kepala Dinas Komunikasi dan Informatika", "Pembina Utama Muda (IV/c)")
ROUTE = Route.of(KASUBAG, SEKDIN, tte=KADIS)
SETTINGS = StampSettings(footer=FOOTER)


def expected(pki=None) -> dict[str, ExpectedSignatory]:
    return {
        s.official_id: ExpectedSignatory(
            s.official_id, s.name, s.nip, s.jabatan,
            pki.certificate(s.official_id) if pki is not None else None,
        )
        for s in (KASUBAG, SEKDIN, KADIS)
    }


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def letters(tmp_path_factory) -> dict[str, bytes]:
    d = tmp_path_factory.mktemp("letters")
    return {
        "full": sigtools.make_letter_pdf(d, "letter"),
        "bare": sigtools.make_letter_pdf(d, "bare", bookmarks=()),
    }


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return create_demo_pki(
        tmp_path_factory.mktemp("pki"), organisation="Pemerintah Kabupaten Contoh",
        signatories=[KASUBAG, SEKDIN, KADIS], passphrase=PASS,
        now=datetime.now(timezone.utc) - timedelta(days=1),
    )


@pytest.fixture(scope="module")
def keys(pki) -> dict[str, Pkcs12KeySource]:
    return {oid: Pkcs12KeySource(p, PASS.encode()) for oid, p in pki.pkcs12.items()}


@pytest.fixture(scope="module")
def ca(pki):
    return load_certificate(pki.ca_cert_path)


@pytest.fixture(scope="module")
def flow(letters, keys) -> dict[str, bytes]:
    """prepared -> paraf 1 -> paraf 2 -> TTE (speed is measured in bench/, not here)."""
    when = datetime(2026, 11, 21, 9, 30, tzinfo=WIB)
    out: dict = {}
    out["prepared"] = p = prepare(letters["full"], ROUTE, SETTINGS)
    out["paraf1"] = p = sign_paraf(p, ROUTE, 0, keys["kasubag"], SETTINGS, when=when)
    out["paraf2"] = p = sign_paraf(p, ROUTE, 1, keys["sekdin"], SETTINGS,
                                   when=when + timedelta(minutes=20))
    out["tte"] = sign_tte(p, ROUTE, keys["kadis"], SETTINGS, nomor=NOMOR, tanggal=TANGGAL,
                          verification_ref="NSK-2026-000123", when=when + timedelta(hours=1))
    return out


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


# --- route ------------------------------------------------------------------------------


def test_route_field_names_and_parse():
    assert ROUTE.field_names() == ["Paraf_1_kasubag", "Paraf_2_sekdin", "TTE_kadis"]
    assert parse_field_name("Paraf_2_sekdin") == ("paraf", 1, "sekdin")
    assert parse_field_name("TTE_kadis") == ("tte", None, "kadis")
    assert parse_field_name("Signature1") is None
    assert parse_field_name("Paraf_0_x") is None
    assert Route.of(tte=KADIS).field_names() == ["TTE_kadis"]


def test_route_rules():
    with pytest.raises(ValueError):
        Route(())
    with pytest.raises(ValueError):  # tte not last
        Route((RouteStep("tte", KADIS), RouteStep("paraf", KASUBAG)))
    with pytest.raises(ValueError):  # two ttes
        Route((RouteStep("tte", SEKDIN), RouteStep("tte", KADIS)))
    with pytest.raises(ValueError):  # same official twice
        Route.of(KADIS, tte=KADIS)
    with pytest.raises(ValueError):
        Signatory("bad.id", "X", "1", "Y")


def test_route_next_index():
    assert ROUTE.next_index([]) == 0
    assert ROUTE.next_index(["Paraf_1_kasubag"]) == 1
    assert ROUTE.next_index(["Paraf_1_kasubag", "Paraf_2_sekdin", "TTE_kadis"]) is None
    with pytest.raises(OutOfOrder):
        ROUTE.next_index(["Paraf_2_sekdin"])


# --- PKI and keys ---------------------------------------------------------------------------


def test_demo_pki_files(pki):
    for p in [pki.ca_key_path, *pki.pkcs12.values()]:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert pki.ca_key_path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    for p in pki.dest.iterdir():
        assert b"BEGIN PRIVATE KEY" not in p.read_bytes()
        assert b"BEGIN RSA PRIVATE KEY" not in p.read_bytes()
    cert = pki.certificate("kadis")
    subj = cert.subject.native
    assert subj["common_name"] == KADIS.name
    assert subj["serial_number"] == "197001011995031001"
    assert subj["country_name"] == "ID"
    assert set(cert.key_usage_value.native) >= {"digital_signature", "non_repudiation"}
    ca_cert = load_certificate(pki.ca_cert_path)
    assert ca_cert.ca and ca_cert.self_signed in ("yes", "maybe")
    assert ca_cert.key_usage_value.native >= {"key_cert_sign", "crl_sign"}


def test_issue_demo_certificate(pki, tmp_path):
    import shutil

    d = tmp_path / "pki"
    shutil.copytree(pki.dest, d)
    new = Signatory("staf", "Rina Wati", "19900505 201503 2 005", "Analis Pengaduan")
    cert_path, p12 = issue_demo_certificate(d, signatory=new, ca_passphrase=PASS)
    key = Pkcs12KeySource(p12, PASS)
    assert key.certificate.subject.native["serial_number"] == "199005052015032005"
    assert key.certificate.issuer == load_certificate(d / "ca.pem").subject
    with pytest.raises(WrongPassphrase):
        issue_demo_certificate(d, signatory=new, ca_passphrase="salah")


def test_wrong_passphrase_names_the_file(pki):
    with pytest.raises(WrongPassphrase) as e:
        Pkcs12KeySource(pki.pkcs12["kadis"], b"salah")
    assert "kadis.p12" in str(e.value)


def test_load_certificate_pem_and_der(pki, tmp_path):
    pem_cert = load_certificate(pki.certificates["kadis"])
    der = _write(tmp_path, "kadis.der", pem_cert.dump())
    assert load_certificate(der).sha256 == pem_cert.sha256


def test_missing_or_garbage_key_file(tmp_path):
    with pytest.raises(KeyLoadError):
        Pkcs12KeySource(tmp_path / "nope.p12", b"x")
    junk = _write(tmp_path, "junk.p12", b"not a pkcs12 file")
    with pytest.raises(KeyLoadError):
        Pkcs12KeySource(junk, b"x")
    with pytest.raises(KeyLoadError):
        load_certificate(junk)


def test_key_source_is_cached(keys):
    k = keys["kadis"]
    assert isinstance(k, KeySource)
    assert k.signer() is k.signer()
    assert k.certificate.subject.native["common_name"] == KADIS.name


@pytest.mark.parametrize("pades", [True, False])
def test_prepared_signing_certificate_gives_pyhankos_own_cms(keys, pki, pades):
    """The signer builds the signing-certificate-v2 attribute once (signatures/cms_attributes.py);
    its CMS must be byte for byte what pyHanko's own SimpleSigner makes for the same digest, time
    and key (RSA PKCS#1 v1.5 is deterministic), for every signature, for each certificate."""
    import asyncio
    import hashlib

    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from signatures.cms_attributes import PreparedSigningCertificate
    from signatures.keys import read_pkcs12

    def stock_signer(oid: str) -> SimpleSigner:
        key, cert, chain = read_pkcs12(pki.pkcs12[oid], PASS)
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        asn1 = [x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in (cert, *chain)]
        return SimpleSigner(signing_cert=asn1[0], signing_key=asn1_keys.PrivateKeyInfo.load(der),
                            cert_registry=SimpleCertificateStore.from_certs(asn1[1:]))

    when = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

    def cms(signer, n: int) -> bytes:
        digest = hashlib.sha256(f"letter {n}".encode()).digest()
        return asyncio.run(signer.async_sign(digest, "sha256", use_pades=pades,
                                             signed_attr_settings=PdfCMSSignedAttributes(signing_time=when))).dump()

    made = set()
    for oid in ("kadis", "sekdin", "kadis"):
        ours = keys[oid].signer()
        stock = stock_signer(oid)
        for n in range(2):
            mine = cms(ours, n)
            assert mine == cms(stock, n)
            made.add(mine)
        assert isinstance(ours._prepared_certificate, PreparedSigningCertificate)
        assert ours._prepared_certificate.signing_cert.dump() == keys[oid].certificate.dump()
    assert len(made) == 4  # two certificates, two digests: no value leaked from one to the other


def test_signing_certificate_match_agrees_with_pyhanko(keys, pki):
    """cms_attributes.match_issuer_serial settles a signing-certificate-v2 attribute by its DER
    when that is the certificate's; every verdict is pyHanko's own, and a mismatch (another
    official's certificate, another serial, another issuer) is still refused."""
    import asyncio
    import hashlib

    from asn1crypto import cms, tsp, x509
    from pyhanko.sign import general

    from signatures import cms_attributes

    assert general.match_issuer_serial is cms_attributes.match_issuer_serial  # installed
    pyhanko_match = cms_attributes._PYHANKO_MATCH

    def ess_issuer_serial(oid: str) -> tsp.IssuerSerial:
        digest = hashlib.sha256(b"letter").digest()
        signed = asyncio.run(keys[oid].signer().async_sign(digest, "sha256", use_pades=True))
        attrs = signed["content"]["signer_infos"][0]["signed_attrs"]
        value = next(a["values"][0] for a in attrs if a["type"].native == "signing_certificate_v2")
        return tsp.SigningCertificateV2.load(value.dump())["certs"][0]["issuer_serial"]

    kadis, sekdin = keys["kadis"].certificate, keys["sekdin"].certificate
    own = ess_issuer_serial("kadis")
    calls = []
    cms_attributes._PYHANKO_MATCH = lambda *a: calls.append(a) or pyhanko_match(*a)
    try:
        assert cms_attributes.match_issuer_serial(own, kadis) is True
        assert calls == []  # decided by the DER, without asn1crypto's name preparation
        assert pyhanko_match(own, kadis) is True
        assert cms_attributes.match_issuer_serial(own, sekdin) is pyhanko_match(own, sekdin) is False  # same CA
        other_serial = tsp.IssuerSerial({"issuer": own["issuer"], "serial_number": kadis.serial_number + 1})
        assert cms_attributes.match_issuer_serial(other_serial, kadis) is False
        stranger = x509.Name.build({"common_name": "Another CA", "country_name": "ID"})
        other_issuer = tsp.IssuerSerial({"issuer": [x509.GeneralName("directory_name", stranger)],
                                         "serial_number": kadis.serial_number})
        assert cms_attributes.match_issuer_serial(other_issuer, kadis) is False
        sid = cms.IssuerAndSerialNumber({"issuer": kadis.issuer, "serial_number": kadis.serial_number})
        assert cms_attributes.match_issuer_serial(sid, kadis) is True  # a CMS signer id: pyHanko's own path
        assert len(calls) == 4
    finally:
        cms_attributes._PYHANKO_MATCH = pyhanko_match


# --- prepare --------------------------------------------------------------------------------


def test_named_destinations_read(letters):
    anchors, pages = read_layout(letters["full"])
    assert set(anchors) == {"naskah_nomor", "naskah_tanggal", "naskah_ttd", "naskah_paraf"}
    assert len(pages) == 1


def test_prepare_adds_fields(flow, tmp_path):
    from pypdf import PdfReader

    r = PdfReader(io.BytesIO(flow["prepared"]))
    fields = r.get_fields()
    assert set(fields) == {"naskah_nomor", "naskah_tanggal", *ROUTE.field_names()}
    anchors, _ = read_layout(flow["prepared"])
    annots = {a.get_object()["/T"]: a.get_object() for a in r.pages[0]["/Annots"]}
    tte_rect = [float(v) for v in annots["TTE_kadis"]["/Rect"]]
    assert tte_rect[0] == pytest.approx(anchors["naskah_ttd"].left)
    assert tte_rect[3] == pytest.approx(anchors["naskah_ttd"].top)
    assert tte_rect[2] - tte_rect[0] == pytest.approx(250)
    assert [float(v) for v in annots["Paraf_1_kasubag"]["/Rect"]] == [0, 0, 0, 0]
    for name in ("naskah_nomor", "naskah_tanggal"):
        assert "/N" in annots[name]["/AP"]
    assert "/NeedAppearances" not in r.trailer["/Root"]["/AcroForm"]
    assert sigtools.run(["qpdf", "--check", str(_write(tmp_path, "p.pdf", flow["prepared"]))]).returncode == 0


def test_prepare_is_incremental(letters, flow):
    assert flow["prepared"][: len(letters["full"])] == letters["full"]


def test_prepare_twice_refused(flow):
    from signatures import SignatureError

    with pytest.raises(SignatureError):
        prepare(flow["prepared"], ROUTE, SETTINGS)


@pytest.mark.parametrize("junk", [b"", b"hello world", b"%PDF-1.7\n garbage"])
def test_not_a_pdf(junk, ca):
    with pytest.raises(NotAPdf):
        prepare(junk, ROUTE, SETTINGS)
    with pytest.raises(NotAPdf):
        verify_pdf(junk, trust_roots=[ca], signatories=expected())


def test_truncated_pdf(flow, ca, keys):
    cut = flow["tte"][: len(flow["tte"]) // 2]
    with pytest.raises(NotAPdf):
        verify_pdf(cut, trust_roots=[ca], signatories=expected())
    with pytest.raises(NotAPdf):
        sign_paraf(flow["prepared"][:-300], ROUTE, 0, keys["kasubag"], SETTINGS)


# --- the full route ---------------------------------------------------------------------------


def test_pdfsig_reports_three_valid_signatures(flow, tmp_path):
    out = sigtools.run(["pdfsig", str(_write(tmp_path, "tte.pdf", flow["tte"]))]).stdout
    blocks = out.split("Signature #")[1:]
    assert len(blocks) == 3, out
    for b in blocks:
        assert "Signature is Valid" in b, b
        assert "ETSI.CAdES.detached" in b
    assert "Field Name: Paraf_1_kasubag" in blocks[0]
    assert "Field Name: TTE_kadis" in blocks[2]
    assert "Total document signed" in blocks[2]
    assert "Total document signed" not in blocks[0].replace("Not total document signed", "")


@pytest.mark.parametrize("stage", ["prepared", "paraf1", "paraf2", "tte"])
def test_qpdf_check_and_embedded_fonts(flow, stage, tmp_path):
    path = _write(tmp_path, f"{stage}.pdf", flow[stage])
    check = sigtools.run(["qpdf", "--check", str(path)])
    assert check.returncode == 0, check.stdout + check.stderr
    fonts = sigtools.run(["pdffonts", str(path)]).stdout.splitlines()[2:]
    assert fonts, "no fonts listed"
    for line in fonts:
        # name type... encoding emb sub uni object ID: emb is the 5th column from the end
        assert line.split()[-5] == "yes", line


def test_verify_full_route_ok(flow, ca, pki):
    rep = verify_pdf(flow["tte"], trust_roots=[ca], signatories=expected(pki))
    assert rep.ok, rep.to_text()
    assert [s.field for s in rep.signatures] == ROUTE.field_names()
    assert [s.kind for s in rep.signatures] == ["paraf", "paraf", "tte"]
    assert [s.index for s in rep.signatures] == [0, 1, 2]
    assert all(s.intact and s.trusted and s.expected_signer_ok for s in rep.signatures)
    assert [s.modification_level for s in rep.signatures] == ["FORM_FILLING", "FORM_FILLING", "NONE"]
    assert rep.signatures[-1].covers_whole_document
    assert rep.signatures[2].signer_nip == "197001011995031001"
    assert rep.signatures[2].signing_time == datetime(2026, 11, 21, 10, 30, tzinfo=WIB)
    assert rep.signatures[0].reason == (
        "Paraf oleh Kepala Sub Bagian Umum dan Kepegawaian "
        "(Siti Aminah, S.E. - NIP. 19800202 200501 2 002)")
    assert rep.signatures[2].reason.startswith("Ditandatangani secara elektronik oleh Kepala Dinas")
    assert rep.nomor == NOMOR and rep.tanggal == TANGGAL
    d = rep.to_dict()
    json.dumps(d)
    assert d["verdict"] == "VALID"
    text = rep.to_text()
    assert text.rstrip().endswith("Verdict: VALID")
    assert "TTE_kadis" in text and "NIP. 197001011995031001" in text
    # by NIP + name (no registered certificate)
    assert verify_pdf(flow["tte"], trust_roots=[ca], signatories=expected()).ok


@pytest.mark.parametrize("stage", ["paraf2", "tte"])
def test_naskahs_judgement_of_signing_revisions_is_pyhankos(flow, ca, pki, stage):
    """verify judges signing revisions itself (revisions.signing_only) and skips pyHanko's difference
    analysis for them: the whole report is the same as with pyHanko's analysis of every signature."""
    fast, full, judged = sigtools.fast_and_full_verdicts(flow[stage], trust_roots=[ca], signatories=expected(pki))
    assert judged == {"paraf2": 1, "tte": 2}[stage]  # every signature followed by a later one
    assert fast == full


def test_nomor_and_tanggal_in_text(flow, tmp_path):
    txt = sigtools.run(["pdftotext", str(_write(tmp_path, "t.pdf", flow["tte"])), "-"]).stdout
    assert NOMOR in txt
    assert TANGGAL in txt
    assert "Ditandatangani secara elektronik oleh:" in txt
    # the nomor sits on the "Nomor :" line
    line = next(ln for ln in txt.splitlines() if NOMOR in ln)
    assert line.startswith("Nomor")



def test_archive_text_of_a_signed_letter_has_its_nomor_tanggal_and_stamp(flow, tmp_path):
    """What the archive indexes (PDFium, flattening the form fields in memory) is what pdftotext reads."""
    from archive.search import extract_text
    from test_archive_search import words

    text = extract_text(flow["tte"])
    assert NOMOR in text and TANGGAL in text and "Ditandatangani secara elektronik oleh:" in text
    plain = sigtools.run(["pdftotext", str(_write(tmp_path, "t.pdf", flow["tte"])), "-"]).stdout
    assert words(text) == words(plain)

def test_tte_stamp_is_drawn(flow, tmp_path):
    from PIL import Image
    from pypdf import PdfReader

    r = PdfReader(io.BytesIO(flow["tte"]))
    page = r.pages[0]
    rect = next(
        [float(v) for v in a.get_object()["/Rect"]]
        for a in page["/Annots"] if a.get_object().get("/T") == "TTE_kadis"
    )
    height = float(page.mediabox.height)

    def ink(pdf: bytes, name: str) -> int:
        path = _write(tmp_path, f"{name}.pdf", pdf)
        sigtools.run(["pdftoppm", "-r", "72", "-f", "1", "-l", "1", "-png", str(path),
                      str(tmp_path / name)])
        img = Image.open(next(tmp_path.glob(f"{name}*.png"))).convert("L")
        box = (int(rect[0]) + 1, int(height - rect[3]) + 1, int(rect[2]) - 1, int(height - rect[1]) - 1)
        return sum(img.crop(box).histogram()[:128])

    assert ink(flow["paraf2"], "before") == 0
    assert ink(flow["tte"], "after") > 500


# --- refusals ------------------------------------------------------------------------------


def test_out_of_order_paraf(flow, keys):
    with pytest.raises(OutOfOrder):
        sign_paraf(flow["prepared"], ROUTE, 1, keys["sekdin"], SETTINGS)
    with pytest.raises(OutOfOrder):  # already signed
        sign_paraf(flow["paraf1"], ROUTE, 0, keys["kasubag"], SETTINGS)
    with pytest.raises(OutOfOrder):  # TTE before the parafs
        sign_tte(flow["paraf1"], ROUTE, keys["kadis"], SETTINGS, nomor=NOMOR,
                 tanggal=TANGGAL, verification_ref="x")
    with pytest.raises(OutOfOrder):  # nothing after the TTE
        sign_tte(flow["tte"], ROUTE, keys["kadis"], SETTINGS, nomor=NOMOR,
                 tanggal=TANGGAL, verification_ref="x")


def test_wrong_signer(flow, keys):
    with pytest.raises(WrongSigner) as e:
        sign_paraf(flow["prepared"], ROUTE, 0, keys["kadis"], SETTINGS)
    assert "Siti Aminah" in str(e.value)
    with pytest.raises(WrongSigner):
        sign_tte(flow["paraf2"], ROUTE, keys["sekdin"], SETTINGS, nomor=NOMOR,
                 tanggal=TANGGAL, verification_ref="x")


def test_route_mismatch_and_unprepared(flow, letters, keys):
    other = Route.of(SEKDIN, tte=KADIS)
    with pytest.raises(RouteMismatch):
        sign_paraf(flow["prepared"], other, 0, keys["sekdin"], SETTINGS)
    with pytest.raises(NotANaskahDocument):
        sign_paraf(letters["full"], ROUTE, 0, keys["kasubag"], SETTINGS)


def test_step_index_must_be_a_paraf(flow, keys):
    with pytest.raises(ValueError):
        sign_paraf(flow["paraf2"], ROUTE, 2, keys["kadis"], SETTINGS)


def test_validation_gate_rejects_wrong_certificate(flow, keys):
    validation_gate(flow["tte"], "TTE_kadis", keys["kadis"].certificate)
    with pytest.raises(SigningFailed):
        validation_gate(flow["tte"], "TTE_kadis", keys["sekdin"].certificate)
    with pytest.raises(SigningFailed):
        validation_gate(flow["tte"], "Paraf_2_sekdin", keys["sekdin"].certificate)


def test_validation_gate_rechecks_a_signature_whose_cms_changed(flow, keys):
    """The gate remembers signatures it found intact, by CMS and covered bytes: paraf 1 was
    checked by three gates already. A forged signature value in paraf 1's CMS leaves the bytes
    paraf 1 covers as they were, and must still be caught, by paraf 1's own check."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    pdf = flow["tte"]
    validation_gate(pdf, "TTE_kadis", keys["kadis"].certificate)  # remembered as intact
    first = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures[0]
    assert first.field_name == "Paraf_1_kasubag"
    value = first.signer_info["signature"].native.hex().encode()
    at = pdf.lower().index(value)  # the /Contents hex string, whatever its case
    forged = bytearray(pdf)
    forged[at + 10] = ord("0") if forged[at + 10] != ord("0") else ord("1")
    with pytest.raises(SigningFailed, match="Paraf_1_kasubag"):
        validation_gate(bytes(forged), "TTE_kadis", keys["kadis"].certificate)


# --- verification failures -----------------------------------------------------------------


def test_missing_tte_reported(flow, ca):
    rep = verify_pdf(flow["paraf2"], trust_roots=[ca], signatories=expected())
    assert not rep.ok
    assert rep.missing == ["TTE_kadis"]
    assert any("TTE_kadis is not signed" in p for p in rep.problems)
    assert all(s.ok for s in rep.signatures)
    assert "Verdict: INVALID" in rep.to_text()


def test_flipped_byte_detected(flow, ca):
    pdf = bytearray(flow["tte"])
    # flip a byte inside the font program of the original document (covered by all three)
    start = pdf.index(b"stream", pdf.index(b"/FontFile2")) + 200
    pdf[start] ^= 0xFF
    rep = verify_pdf(bytes(pdf), trust_roots=[ca], signatories=expected())
    assert not rep.ok
    assert not any(s.intact for s in rep.signatures)


def test_foreign_ca_not_trusted(flow, ca, tmp_path, keys):
    other = create_demo_pki(tmp_path / "other", organisation="Penipu", signatories=[KADIS],
                            passphrase=PASS)
    foreign = Pkcs12KeySource(other.pkcs12["kadis"], PASS)
    # same name and NIP in the subject: signing accepts it, verification must not trust it
    pdf = sign_tte(flow["paraf2"], ROUTE, foreign, SETTINGS, nomor=NOMOR, tanggal=TANGGAL,
                   verification_ref="x")
    rep = verify_pdf(pdf, trust_roots=[ca], signatories=expected())
    assert not rep.ok
    tte = rep.signatures[-1]
    assert tte.intact and not tte.trusted
    assert any("not trusted" in p for p in tte.problems)
    # and with the registered certificate the mismatch is named as well
    rep2 = verify_pdf(pdf, trust_roots=[ca, other.ca_certificate],
                      signatories=expected_with_cert(keys))
    assert rep2.signatures[-1].trusted
    assert not rep2.signatures[-1].expected_signer_ok
    assert not rep2.ok


def expected_with_cert(keys) -> dict[str, ExpectedSignatory]:
    return {
        s.official_id: ExpectedSignatory(s.official_id, s.name, s.nip, s.jabatan,
                                         keys[s.official_id].certificate)
        for s in (KASUBAG, SEKDIN, KADIS)
    }


def test_change_after_tte_detected(flow, ca):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    w = IncrementalPdfFileWriter(io.BytesIO(flow["tte"]))
    w.root["/Lang"] = generic.TextStringObject("id-ID")
    w.update_root()
    out = io.BytesIO()
    w.write(out)
    rep = verify_pdf(out.getvalue(), trust_roots=[ca], signatories=expected())
    assert not rep.ok
    assert any("after the TTE" in p for p in rep.problems)
    assert any("last signature does not cover" in p for p in rep.problems)


def test_order_violation_detected(flow, keys, ca):
    """A Paraf_2 signed before Paraf_1 (done with raw pyHanko, Naskah refuses it)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    def raw(pdf, field, key):
        w = IncrementalPdfFileWriter(io.BytesIO(pdf))
        meta = signers.PdfSignatureMetadata(field_name=field, subfilter=SigSeedSubFilter.PADES)
        return signers.sign_pdf(w, meta, signer=key.signer()).getvalue()

    pdf = raw(flow["prepared"], "Paraf_2_sekdin", keys["sekdin"])
    pdf = raw(pdf, "Paraf_1_kasubag", keys["kasubag"])
    rep = verify_pdf(pdf, trust_roots=[ca], signatories=expected())
    assert any("not made in the route's order" in p for p in rep.problems)


def test_wrong_official_in_field_detected(flow, keys, ca):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    w = IncrementalPdfFileWriter(io.BytesIO(flow["prepared"]))
    meta = signers.PdfSignatureMetadata(field_name="Paraf_1_kasubag",
                                        subfilter=SigSeedSubFilter.PADES)
    pdf = signers.sign_pdf(w, meta, signer=keys["sekdin"].signer()).getvalue()
    rep = verify_pdf(pdf, trust_roots=[ca], signatories=expected())
    assert not rep.signatures[0].expected_signer_ok
    assert rep.signatures[0].trusted


# --- no destinations: fallbacks, visible paraf ------------------------------------------------


def test_fallback_layout_and_visible_paraf(letters, keys, ca, tmp_path):
    from pypdf import PdfReader

    settings = StampSettings(footer=FOOTER, paraf_visible=True)
    route = Route.of(KASUBAG, tte=KADIS)
    p = prepare(letters["bare"], route, settings)
    r = PdfReader(io.BytesIO(p))
    assert set(r.get_fields()) == {"Paraf_1_kasubag", "TTE_kadis"}  # no text fields
    page = r.pages[-1]
    rects = {a.get_object()["/T"]: [float(v) for v in a.get_object()["/Rect"]]
             for a in page["/Annots"]}
    tte = rects["TTE_kadis"]
    assert tte[2] > float(page.mediabox.width) / 2  # bottom right
    assert tte[1] < float(page.mediabox.height) / 3
    paraf = rects["Paraf_1_kasubag"]
    assert paraf[2] - paraf[0] > 0 and paraf[3] <= tte[1]  # visible, under the TTE box
    p = sign_paraf(p, route, 0, keys["kasubag"], settings,
                   when=datetime(2026, 11, 21, 9, 0, tzinfo=WIB))
    p = sign_tte(p, route, keys["kadis"], settings, nomor=NOMOR, tanggal=TANGGAL,
                 verification_ref="NSK-1")
    rep = verify_pdf(p, trust_roots=[ca], signatories=expected())
    assert rep.ok, rep.to_text()
    assert rep.nomor is None
    path = _write(tmp_path, "bare.pdf", p)
    txt = sigtools.run(["pdftotext", str(path), "-"]).stdout
    assert "Paraf" in txt and "21-11-2026 09.00 WIB" in txt
    for line in sigtools.run(["pdffonts", str(path)]).stdout.splitlines()[2:]:
        assert line.split()[-5] == "yes", line
    assert sigtools.run(["qpdf", "--check", str(path)]).returncode == 0


def test_usable_inside_a_running_event_loop(flow, ca):
    import asyncio

    async def handler():
        return verify_pdf(flow["tte"], trust_roots=[ca], signatories=expected())

    assert asyncio.run(handler()).ok
