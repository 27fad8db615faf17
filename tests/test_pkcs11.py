"""Key sources: a key on a PKCS#11 token (SoftHSM2, a token each test run initialises) and the
seam for a remote signing service. Real tokens, real signatures, real LibreOffice letters; the
token's PIN is checked to appear nowhere: not in output, not in NASKAH_HOME."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from asn1crypto import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

import hsmtools
import sigtools
from clitools import run_naskah
from signatures import (
    ExpectedSignatory,
    KeySource,
    Pkcs12KeySource,
    Route,
    Signatory,
    SigningFailed,
    StampSettings,
    WrongPassphrase,
    create_demo_pki,
    load_certificate,
    prepare,
    sign_paraf,
    sign_tte,
    verify_pdf,
)
from signatures.errors import KeyLoadError, KeyNotOnToken, Pkcs11ModuleMissing, TokenLocked, TokenNotFound, WrongPin
from signatures.keys import read_pkcs12
from signatures.pkcs11 import (
    MODULE_ENV,
    Pkcs11KeySource,
    TokenKey,
    _LOGINS,
    find_module,
    import_pkcs12,
    open_session,
)

pytestmark = pytest.mark.skipif(hsmtools.SOFTHSM_UTIL is None, reason="SoftHSM2 is not installed (make test installs it)")

PASS = "rahasia-demo"
UNIT_PIN = "unit-pin-4711"
OFFICE_PIN = "pin-Q7x3-rahasia"  # distinctive, so that a leak anywhere is found
DEMO_PIN = "naskah-demo"  # the demo's passphrase: `naskah demo` types it for every key
KASUBAG = Signatory("kasubag", "Siti Aminah, S.E.", "19800202 200501 2 002", "Kepala Sub Bagian Umum")
SEKDIN = Signatory("sekdin", "Ir. Joko Prasetyo", "19750303 200003 1 003", "Sekretaris Dinas")
KADIS = Signatory("kadis", "Budi Santoso, S.Kom., M.T.", "19700101 199503 1 001", "Kepala Dinas")
ROUTE = Route.of(KASUBAG, SEKDIN, tte=KADIS)
SETTINGS = StampSettings(footer="Dokumen ini telah ditandatangani secara elektronik")
WIB = timezone(timedelta(hours=7))


# --- a SoftHSM2 of this test run ---------------------------------------------------------


@pytest.fixture(scope="session")
def hsm(tmp_path_factory):
    """All tokens are initialised before this process loads SoftHSM2: it reads its token
    directory once, at C_Initialize, and would not see a token made later."""
    hsm = hsmtools.make_softhsm(tmp_path_factory.mktemp("softhsm"))
    for label, pin in (("unit", UNIT_PIN), ("kantor", OFFICE_PIN), ("demo-token", DEMO_PIN)):
        hsm.init_token(label, pin)
    before = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(hsm.conf)
    yield hsm
    if before is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = before


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return create_demo_pki(tmp_path_factory.mktemp("pki"), organisation="Pemerintah Kabupaten Contoh",
                           signatories=[KASUBAG, SEKDIN, KADIS], passphrase=PASS,
                           now=datetime.now(timezone.utc) - timedelta(days=1))


@pytest.fixture(scope="module")
def module_path(hsm) -> Path:
    return find_module()


@pytest.fixture(scope="module")
def unit_token(hsm, pki, module_path) -> str:
    """Token 'unit' holding kadis and kasubag (imported from their .p12)."""
    for who in ("kadis", "kasubag"):
        import_pkcs12(pki.pkcs12[who], PASS, module=module_path, token="unit", pin=UNIT_PIN, label=who)
    return "unit"


@pytest.fixture(scope="module")
def letter(tmp_path_factory) -> bytes:
    return sigtools.make_letter_pdf(tmp_path_factory.mktemp("letter"), "letter")


def expected(pki) -> dict[str, ExpectedSignatory]:
    return {s.official_id: ExpectedSignatory(s.official_id, s.name, s.nip, s.jabatan, pki.certificate(s.official_id))
            for s in (KASUBAG, SEKDIN, KADIS)}


def embedded_signature(pdf: bytes, field: str):
    return next(s for s in PdfFileReader(io.BytesIO(pdf)).embedded_signatures if s.field_name == field)


def embedded_certificates(pdf: bytes, field: str) -> list[x509.Certificate]:
    return [c.chosen for c in embedded_signature(pdf, field).signed_data["certificates"]]


# --- the office profile -------------------------------------------------------------------


def office_with_kadis(tmp_path: Path, **entry) -> Path:
    from correspondence.catalog import SHIPPED_OFFICES

    data = yaml.safe_load((SHIPPED_OFFICES / "pangkalpinang" / "office.yaml").read_text())
    kadis = next(o for o in data["officials"] if o["id"] == "kadis")
    kadis.update(entry)
    path = tmp_path / "office.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def test_profile_pkcs11_entry_is_checked(tmp_path):
    from correspondence.errors import ConfigError
    from correspondence.office import load_office

    office = load_office(office_with_kadis(tmp_path, key="", pkcs11={"token": "kantor", "key_label": "kadis"}))
    assert office.official("kadis").pkcs11.token == "kantor" and office.official("kadis").signs
    with pytest.raises(ConfigError, match="has both key: .* and pkcs11: .*keep one"):
        load_office(office_with_kadis(tmp_path, pkcs11={"token": "kantor", "key_label": "kadis"}))
    # a PIN has no place in a profile: an unknown key, refused with the allowed ones
    with pytest.raises(ConfigError, match=r"officials\[0\]\.pkcs11\.pin': unknown key .*cert_label, key_label, module, token"):
        load_office(office_with_kadis(tmp_path, key="", pkcs11={"token": "kantor", "key_label": "kadis", "pin": "1234"}))
    with pytest.raises(ConfigError, match=r"pkcs11\.key_label': required key is missing"):
        load_office(office_with_kadis(tmp_path, key="", pkcs11={"token": "kantor"}))


# --- finding the module -------------------------------------------------------------------


def test_module_from_profile_then_environment_then_known_places(tmp_path):
    profile, env, known = tmp_path / "profile.so", tmp_path / "env.so", tmp_path / "lib" / "known.so"
    for f in (profile, env, known):
        f.parent.mkdir(exist_ok=True)
        f.write_bytes(b"\x7fELF")
    environ = {MODULE_ENV: str(env)}
    patterns = (str(tmp_path / "nowhere" / "*.so"), str(tmp_path / "l*" / "known.so"))
    assert find_module(str(profile), environ=environ, known=patterns) == profile
    assert find_module("", environ=environ, known=patterns) == env
    assert find_module("", environ={}, known=patterns) == known
    with pytest.raises(Pkcs11ModuleMissing, match="apt-get install softhsm2"):
        find_module("", environ={}, known=patterns[:1])
    with pytest.raises(Pkcs11ModuleMissing, match=r"missing\.so \(named by pkcs11\.module"):
        find_module(str(tmp_path / "missing.so"), environ=environ, known=patterns)
    with pytest.raises(Pkcs11ModuleMissing, match=f"named by {MODULE_ENV}"):
        find_module("", environ={MODULE_ENV: str(tmp_path / "gone.so")}, known=patterns)


def test_the_installed_softhsm_is_found_without_configuration(hsm):
    found = find_module(environ={})
    assert found.is_file() and "softhsm2" in found.name


def test_a_file_that_is_not_a_pkcs11_module_is_refused(hsm, tmp_path):
    junk = tmp_path / "libjunk.so"
    junk.write_bytes(b"not a library")
    with pytest.raises(Pkcs11ModuleMissing, match="not a usable PKCS#11 module"):
        Pkcs11KeySource(TokenKey(junk, "unit", "kadis"), UNIT_PIN)


# --- signing with a token key ---------------------------------------------------------------


def test_a_token_key_signs_many_letters_with_one_login(unit_token, module_path, pki, letter):
    p12 = {oid: Pkcs12KeySource(p, PASS) for oid, p in pki.pkcs12.items()}
    when = datetime(2026, 11, 21, 9, 30, tzinfo=WIB)
    with Pkcs11KeySource(TokenKey(module_path, unit_token, "kadis"), UNIT_PIN.encode()) as kadis:
        assert isinstance(kadis, KeySource)
        signer = kadis.signer()
        assert kadis.certificate.dump() == pki.certificate("kadis").dump()
        letters = []
        for n in range(3):  # three letters: one login, one signer object for all
            pdf = prepare(letter, ROUTE, SETTINGS)
            pdf = sign_paraf(pdf, ROUTE, 0, p12["kasubag"], SETTINGS, when=when)
            pdf = sign_paraf(pdf, ROUTE, 1, p12["sekdin"], SETTINGS, when=when)
            pdf = sign_tte(pdf, ROUTE, kadis, SETTINGS, nomor=f"500/{n + 1}/X/2026", tanggal="21 November 2026",
                           verification_ref=f"ref-{n}", when=when + timedelta(hours=1))
            assert kadis.signer() is signer
            letters.append(pdf)
        assert _LOGINS.is_open(module_path, unit_token)
    assert kadis.closed and not _LOGINS.is_open(module_path, unit_token)
    with pytest.raises(KeyLoadError, match="closed"):
        kadis.signer()
    for pdf in letters:
        report = verify_pdf(pdf, trust_roots=[pki.ca_certificate], signatories=expected(pki))
        assert report.ok, report.problems
        assert [s.field for s in report.signatures] == ["Paraf_1_kasubag", "Paraf_2_sekdin", "TTE_kadis"]
        # the CA stored on the token by the import is embedded with the signer's certificate
        assert {c.sha256 for c in embedded_certificates(pdf, "TTE_kadis")} == {
            pki.certificate("kadis").sha256, pki.ca_certificate.sha256}


def test_a_paraf_from_the_token_beside_the_tte_from_the_token(unit_token, module_path, pki, letter):
    """Two keys on one token share the token's login (PKCS#11 logs in per application and token)."""
    where = {who: TokenKey(module_path, unit_token, who) for who in ("kasubag", "kadis")}
    kasubag = Pkcs11KeySource(where["kasubag"], UNIT_PIN)
    kadis = Pkcs11KeySource(where["kadis"], UNIT_PIN)
    try:
        pdf = prepare(letter, ROUTE, SETTINGS)
        pdf = sign_paraf(pdf, ROUTE, 0, kasubag, SETTINGS)
        kasubag.close()  # the token stays logged in for kadis
        pdf = sign_paraf(pdf, ROUTE, 1, Pkcs12KeySource(pki.pkcs12["sekdin"], PASS), SETTINGS)
        pdf = sign_tte(pdf, ROUTE, kadis, SETTINGS, nomor="500/9/X/2026", tanggal="21 November 2026",
                       verification_ref="ref")
    finally:
        kasubag.close()
        kadis.close()
    assert not _LOGINS.is_open(module_path, unit_token)
    report = verify_pdf(pdf, trust_roots=[pki.ca_certificate], signatories=expected(pki))
    assert report.ok, report.problems


def test_the_service_keyring_reuses_a_key_only_for_the_same_pin_and_closes_it(unit_token, module_path):
    """What Naskah does with the keys of paraf and TTE (services._key, Naskah.close)."""
    from signatures.keys import KeyRing

    where = TokenKey(module_path, unit_token, "kadis")
    ring = KeyRing()
    first = ring.get(("pkcs11", where), UNIT_PIN.encode(), lambda: Pkcs11KeySource(where, UNIT_PIN))
    again = ring.get(("pkcs11", where), UNIT_PIN.encode(), lambda: Pkcs11KeySource(where, UNIT_PIN))
    assert again is first
    with pytest.raises(WrongPin):  # the open key is closed, and the token itself judges the new PIN
        ring.get(("pkcs11", where), b"salah", lambda: Pkcs11KeySource(where, "salah"))
    assert first.closed and not _LOGINS.is_open(module_path, unit_token)
    third = ring.get(("pkcs11", where), UNIT_PIN.encode(), lambda: Pkcs11KeySource(where, UNIT_PIN))
    assert _LOGINS.is_open(module_path, unit_token)
    ring.close()
    assert third.closed and not _LOGINS.is_open(module_path, unit_token)


# --- bad input: each a named error without the PIN -------------------------------------------


def test_wrong_pin_again_and_again_softhsm_never_locks(unit_token, module_path, hsm):
    where = TokenKey(module_path, unit_token, "kadis")
    for attempt in range(6):
        with pytest.raises(WrongPin) as caught:
            Pkcs11KeySource(where, f"salah-{attempt}")
        assert "salah" not in str(caught.value) and "the PIN does not open token 'unit'" in str(caught.value)
        assert isinstance(caught.value, WrongPassphrase)  # the CLI treats it as a wrong passphrase
    # SoftHSM2 counts nothing: it raises CKF_USER_PIN_COUNT_LOW, never locks; the right PIN still works
    assert not hsm.flags("unit") & hsmtools.CKF_USER_PIN_LOCKED
    Pkcs11KeySource(where, UNIT_PIN).close()


def test_an_open_token_is_not_shared_with_a_different_pin(unit_token, module_path):
    where = TokenKey(module_path, unit_token, "kadis")
    with Pkcs11KeySource(where, UNIT_PIN):
        with pytest.raises(WrongPin):
            Pkcs11KeySource(where, "0000")
        with Pkcs11KeySource(TokenKey(module_path, unit_token, "kasubag"), UNIT_PIN) as other:
            assert other.certificate.subject.native["common_name"] == KASUBAG.name


def test_unknown_token_key_or_certificate_label(unit_token, module_path):
    with pytest.raises(TokenNotFound, match=r"no token labelled 'tidak-ada' .*present: .*'unit'") as caught:
        Pkcs11KeySource(TokenKey(module_path, "tidak-ada", "kadis"), UNIT_PIN)
    assert UNIT_PIN not in str(caught.value)
    with pytest.raises(KeyNotOnToken, match=r"no private key labelled 'camat' .*'kadis', 'kasubag'"):
        Pkcs11KeySource(TokenKey(module_path, unit_token, "camat"), UNIT_PIN)
    with pytest.raises(KeyNotOnToken, match="no certificate labelled 'sertifikat'"):
        Pkcs11KeySource(TokenKey(module_path, unit_token, "kadis", "sertifikat"), UNIT_PIN)
    with pytest.raises(KeyNotOnToken, match="do not belong together"):
        Pkcs11KeySource(TokenKey(module_path, unit_token, "kadis", "kasubag"), UNIT_PIN)
    assert not _LOGINS.is_open(module_path, unit_token)  # every failure gave the session back


def test_a_pin_locked_answer_from_the_token_is_a_locked_token(monkeypatch, unit_token, module_path):
    """SoftHSM2 never answers CKR_PIN_LOCKED; a hardware token does. This checks the mapping only,
    with the token's answer replaced; the CLI test below locks a real SoftHSM2 token by its flag."""
    import pkcs11

    import signatures.pkcs11 as p11

    real = p11._find_token

    class Answer:
        def __init__(self, token):
            self.flags, self.label = token.flags, token.label

        def open(self, **kwargs):
            raise pkcs11.PinLocked()

    monkeypatch.setattr(p11, "_find_token", lambda *a: Answer(real(*a)))
    with pytest.raises(TokenLocked, match="security officer"):
        open_session(module_path, unit_token, UNIT_PIN)


def test_import_refuses_a_taken_label_and_a_wrong_passphrase(unit_token, module_path, pki):
    def objects() -> int:
        with Pkcs11KeySource(TokenKey(module_path, unit_token, "kadis"), UNIT_PIN) as key:
            return len(list(key.signer().pkcs11_session.get_objects()))

    before = objects()
    with pytest.raises(KeyLoadError, match="already holds objects labelled 'kadis'"):
        import_pkcs12(pki.pkcs12["kadis"], PASS, module=module_path, token=unit_token, pin=UNIT_PIN, label="kadis")
    with pytest.raises(WrongPassphrase):
        import_pkcs12(pki.pkcs12["sekdin"], "salah", module=module_path, token=unit_token, pin=UNIT_PIN, label="sekdin")
    with pytest.raises(WrongPin):
        import_pkcs12(pki.pkcs12["sekdin"], PASS, module=module_path, token=unit_token, pin="salah", label="sekdin")
    assert objects() == before


# --- the remote-signing seam -------------------------------------------------------------------


class RemoteSigningService:
    """Stands in for a remote signing service (BSrE, a CSC API): the keys stay on its side; it
    signs a digest for a credential when given the holder's one-time code."""

    def __init__(self) -> None:
        self._keys: dict[str, tuple[object, str]] = {}
        self.requests: list[tuple[str, str, int]] = []

    def enrol(self, credential: str, p12: Path, passphrase: str, otp: str) -> tuple[bytes, list[bytes]]:
        from cryptography.hazmat.primitives.serialization import Encoding

        key, cert, cas = read_pkcs12(p12, passphrase)
        self._keys[credential] = (key, otp)
        return cert.public_bytes(Encoding.DER), [c.public_bytes(Encoding.DER) for c in cas]

    def sign_hash(self, credential: str, otp: str, digest: bytes, algorithm: str) -> bytes:
        self.requests.append((credential, algorithm, len(digest)))
        key, expected_otp = self._keys[credential]
        if otp != expected_otp:
            raise PermissionError("wrong one-time code")
        return key.sign(digest, PKCS1v15(), Prehashed({"sha256": hashes.SHA256()}[algorithm]))


class RemoteSigner(Signer):
    """A pyHanko Signer that only hashes locally and asks the service to sign the digest."""

    def __init__(self, service: RemoteSigningService, credential: str, otp: str, cert: x509.Certificate,
                 chain: list[x509.Certificate]) -> None:
        super().__init__(signing_cert=cert, cert_registry=SimpleCertificateStore.from_certs(chain))
        self._service, self._credential, self._otp = service, credential, otp

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return bytes(self.signing_cert.public_key.bit_size // 8)
        digest = hashlib.new(digest_algorithm, data).digest()
        return self._service.sign_hash(self._credential, self._otp, digest, digest_algorithm)


class RemoteKeySource:
    def __init__(self, service: RemoteSigningService, credential: str, otp: str, cert_der: bytes,
                 chain_der: list[bytes]) -> None:
        self._certificate = x509.Certificate.load(cert_der)
        self._signer = RemoteSigner(service, credential, otp, self._certificate,
                                    [x509.Certificate.load(c) for c in chain_der])

    def signer(self) -> Signer:
        return self._signer

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    def close(self) -> None:
        pass


def test_a_remote_signer_needs_nothing_but_the_keysource_protocol(pki, letter):
    service = RemoteSigningService()
    keys = {}
    for s in (KASUBAG, SEKDIN, KADIS):
        cert, chain = service.enrol(f"cred-{s.official_id}", pki.pkcs12[s.official_id], PASS, otp=f"otp-{s.official_id}")
        keys[s.official_id] = RemoteKeySource(service, f"cred-{s.official_id}", f"otp-{s.official_id}", cert, chain)
    assert all(isinstance(k, KeySource) for k in keys.values())
    pdf = prepare(letter, ROUTE, SETTINGS)
    pdf = sign_paraf(pdf, ROUTE, 0, keys["kasubag"], SETTINGS)
    pdf = sign_paraf(pdf, ROUTE, 1, keys["sekdin"], SETTINGS)
    pdf = sign_tte(pdf, ROUTE, keys["kadis"], SETTINGS, nomor="500/7/X/2026", tanggal="21 November 2026",
                   verification_ref="ref")
    report = verify_pdf(pdf, trust_roots=[pki.ca_certificate], signatories=expected(pki))
    assert report.ok, report.problems
    # the service saw one 32-byte SHA-256 digest per signature, never the document
    assert service.requests == [("cred-kasubag", "sha256", 32), ("cred-sekdin", "sha256", 32),
                                ("cred-kadis", "sha256", 32)]
    wrong = RemoteKeySource(service, "cred-kadis", "otp-salah", *service.enrol("cred-kadis", pki.pkcs12["kadis"], PASS, "x"))
    alone = Route.of(tte=KADIS)
    with pytest.raises(SigningFailed, match="one-time code"):  # the service's refusal, nothing signed
        sign_tte(prepare(letter, alone, SETTINGS), alone, wrong, SETTINGS, nomor="500/8/X/2026",
                 tanggal="21 November 2026", verification_ref="ref")


# --- the naskah command with a token: the mixed route, bad input, the PIN kept secret ---------------


class Runs:
    """Every naskah run of a test module, so that the PIN can be looked for in all output."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home, self.env, self.output = home, env, []

    def __call__(self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None):
        result = run_naskah(self.home, *args, env={**self.env, **(env or {})}, stdin=stdin)
        self.output.append(result.stdout + result.stderr)
        return result


def walk_to_the_tte(naskah: Runs, tmp: Path, passphrase_file: Path) -> str:
    """Register a complaint and carry it to the Kepala Dinas's TTE (paraf from the .p12 files)."""
    result = naskah("complaint", "register", "--as", "staf", "--channel", "whatsapp", "--name", "Siti Aminah",
                    "--subject", "Antrian layanan", "--content", "Antrian panjang di loket perizinan.")
    assert result.returncode == 0, result.stderr
    reg = result.stdout.strip().splitlines()[-1]
    telaah = tmp / "telaah.yaml"
    telaah.write_text("body: {kepada: Kabid, dari: Subkoor, persoalan: p, praanggapan: p, fakta: f, analisis: a, "
                      "kesimpulan: k, saran: s}\n")
    disposisi = tmp / "disposisi.yaml"
    disposisi.write_text("body: {sifat: Segera, diteruskan: [{jabatan: Subkoor, utama: true}], instruksi: [File], "
                         "catatan: c, batas_waktu: '2026-12-01'}\n")
    draft = tmp / "draft.yaml"
    draft.write_text("body: {isi: Jawaban kami atas pengaduan Saudara.}\n")
    for args in (("--as", "subkoor", "--data", str(telaah)), ("--as", "kabid_wasdal"),
                 ("--as", "kadis", "--choice", "tidak", "--data", str(disposisi)), ("--as", "subkoor", "--data", str(draft))):
        result = naskah("act", reg, *args)
        assert result.returncode == 0, result.stderr
    for who in ("kabid_wasdal", "sekretaris"):
        result = naskah("paraf", reg, "--as", who, "--passphrase-file", str(passphrase_file))
        assert result.returncode == 0, result.stderr
    return reg


@pytest.fixture(scope="module")
def office(hsm, tmp_path_factory):
    """A home where kadis's key is on token 'kantor' and the profile points at it; a reply letter
    waits for his TTE."""
    tmp = tmp_path_factory.mktemp("token-office")
    home = tmp / "home"
    naskah = Runs(home, hsm.env)
    passphrase, pin = tmp / "passphrase", tmp / "pin"
    passphrase.write_text("naskah-demo\n")
    pin.write_text(OFFICE_PIN + "\n")
    assert naskah("keys", "demo", "--passphrase-file", str(passphrase)).returncode == 0
    result = naskah("keys", "token-import", "kadis", "--token", "kantor", "--passphrase-file", str(passphrase),
                    "--pin-file", str(pin), "--write-profile")
    assert result.returncode == 0, result.stderr
    assert "stored on token 'kantor' as 'kadis'" in result.stdout
    profile = home / "offices" / "pangkalpinang" / "office.yaml"
    kadis = next(o for o in yaml.safe_load(profile.read_text())["officials"] if o["id"] == "kadis")
    assert kadis["pkcs11"] == {"token": "kantor", "key_label": "kadis"} and "key" not in kadis
    assert (profile.parent / "demo.yaml").is_file()  # the office folder came along
    reg = walk_to_the_tte(naskah, tmp, passphrase)
    return {"naskah": naskah, "home": home, "reg": reg, "pin": pin, "profile": profile, "tmp": tmp}


def case_state(naskah: Runs, reg: str) -> tuple[str, ...]:
    """What a refused signature must leave as it was: the case, its documents, numbers and audit trail."""
    return tuple(naskah(*args).stdout for args in (("complaint", "show", reg), ("number", "list"),
                                                    ("audit", "show", "--json")))


def with_kadis_token(profile: Path, **change: str) -> str:
    """Rewrite kadis's pkcs11: entry; returns the original text to put back."""
    original = profile.read_text()
    data = yaml.safe_load(original)
    kadis = next(o for o in data["officials"] if o["id"] == "kadis")
    kadis["pkcs11"].update(change)
    profile.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return original


def test_token_bad_input_is_refused_and_leaves_the_draft_untouched(office, hsm):
    naskah, reg, pin, profile = office["naskah"], office["reg"], office["pin"], office["profile"]
    before = case_state(naskah, reg)
    sign = ("sign", reg, "--as", "kadis")

    wrong = naskah(*sign, stdin="1234-salah\n")  # typed at the prompt
    assert wrong.returncode == 6 and "the PIN does not open token 'kantor'" in wrong.stderr
    assert "1234-salah" not in wrong.stdout + wrong.stderr

    hsm.set_locked("kantor")
    try:
        locked = naskah(*sign, "--passphrase-file", str(pin))
    finally:
        hsm.set_locked("kantor", False)
    assert locked.returncode == 6 and "token 'kantor' is locked" in locked.stderr and "SO PIN" in locked.stderr

    for change, message in (({"token": "kartu-hilang"}, "no token labelled 'kartu-hilang'"),
                            ({"key_label": "kadis-lama"}, "no private key labelled 'kadis-lama'"),
                            ({"module": "/nonexistent/libtoken.so"}, "PKCS#11 module /nonexistent/libtoken.so")):
        original = with_kadis_token(profile, **change)
        try:
            result = naskah(*sign, "--passphrase-file", str(pin))
        finally:
            profile.write_text(original)
        assert result.returncode == 6 and message in result.stderr, result.stderr

    missing = naskah(*sign, "--passphrase-file", str(pin), env={"NASKAH_PKCS11_MODULE": "/nonexistent/p11.so"})
    assert missing.returncode == 6 and f"named by {MODULE_ENV}" in missing.stderr
    assert case_state(naskah, reg) == before

    profile_text = profile.read_text()
    imported = naskah("keys", "token-import", "sekretaris", "--token", "kantor", "--pin-file", str(pin),
                      "--write-profile", stdin="salah\n")  # a wrong .p12 passphrase: nothing on the token
    assert imported.returncode == 6 and "passphrase does not open" in imported.stderr
    assert profile.read_text() == profile_text


def test_mixed_route_paraf_from_p12_tte_from_token(office, tmp_path):
    naskah, reg, home = office["naskah"], office["reg"], office["home"]
    result = naskah("sign", reg, "--as", "kadis", "--passphrase-file", str(office["pin"]))
    assert result.returncode == 0, result.stderr
    nomor = result.stdout.strip().splitlines()[-1]
    out = tmp_path / "jawaban.pdf"
    assert naskah("archive", "get", nomor, "--out", str(out)).returncode == 0
    verified = naskah("verify", str(out), "--json")
    assert verified.returncode == 0, verified.stdout
    report = json.loads(verified.stdout)
    assert [s["field"] for s in report["signatures"]] == ["Paraf_1_kabid_wasdal", "Paraf_2_sekretaris", "TTE_kadis"]
    assert report["ok"] and all(s["ok"] for s in report["signatures"])
    signer = embedded_signature(out.read_bytes(), "TTE_kadis").signer_cert  # the certificate on the token
    assert signer.sha256 == load_certificate(home / "keys/pangkalpinang/kadis.pem").sha256
    pdfsig = subprocess.run(["pdfsig", str(out)], capture_output=True, text=True)
    assert pdfsig.stdout.count("Signature Validation: Signature is Valid.") == 3, pdfsig.stdout
    assert "TTE_kadis" in pdfsig.stdout and "Yan Rizana" in pdfsig.stdout


def test_the_pin_is_nowhere(office):
    """After the refused and the successful signatures above: not in any output, not in any
    file of NASKAH_HOME (database, WAL, blobs, profile), not in any table row."""
    naskah, home = office["naskah"], office["home"]
    secret = OFFICE_PIN.encode()
    assert not any(OFFICE_PIN in out for out in naskah.output)
    files = [p for p in home.rglob("*") if p.is_file()]
    assert files and not [p for p in files if secret in p.read_bytes()]
    conn = sqlite3.connect(home / "naskah.db")
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert {"audit_events", "letters"} <= set(tables)
    for table in tables:
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            assert OFFICE_PIN not in repr(row), table
    conn.close()


def test_naskah_demo_with_paraf_and_tte_keys_on_one_token(hsm, tmp_path):
    """`naskah demo` in one process: the Kabid's paraf and the Kepala Dinas's TTE from one token
    (one login, shared), the Sekretaris's paraf from his .p12."""
    home = tmp_path / "home"
    naskah = Runs(home, hsm.env)
    secret = tmp_path / "secret"
    secret.write_text(DEMO_PIN + "\n")
    assert naskah("keys", "demo", "--passphrase-file", str(secret)).returncode == 0
    for who in ("kabid_wasdal", "kadis"):
        result = naskah("keys", "token-import", who, "--token", "demo-token", "--passphrase-file", str(secret),
                        "--pin-file", str(secret), "--write-profile")
        assert result.returncode == 0, result.stderr
    demo = naskah("demo")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Verdict: VALID" in demo.stdout
    nomor = demo.stdout.split("signed and filed: ")[1].split()[0]
    out = tmp_path / "jawaban.pdf"
    assert naskah("archive", "get", nomor, "--out", str(out)).returncode == 0
    pdfsig = subprocess.run(["pdfsig", str(out)], capture_output=True, text=True).stdout
    assert pdfsig.count("Signature is Valid.") == 3 and "Hendra Gunawan" in pdfsig and "Yan Rizana" in pdfsig
