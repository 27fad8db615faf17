"""A demo PKI for an office: a self-signed root CA and one signing certificate per official.

Not for production (production keys come from BSrE); it lets an office try the whole
paraf/TTE flow. Layout written under ``dest``::

    ca.pem              root CA certificate
    ca-key.pem          root CA private key, PKCS#8 encrypted with the passphrase (0600)
    <official_id>.pem   the official's certificate
    <official_id>.p12   PKCS#12: key + certificate + CA, encrypted with the passphrase (0600)

No private key is ever written unencrypted.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from .errors import KeyLoadError, WrongPassphrase
from .route import Signatory, nip_digits

# id-kp-documentSigning (RFC 9336)
DOCUMENT_SIGNING_EKU = ObjectIdentifier("1.3.6.1.5.5.7.3.36")

_CA_KEY_BITS = 3072
_EE_KEY_BITS = 2048


@dataclass(frozen=True)
class DemoPki:
    dest: Path
    ca_cert_path: Path
    ca_key_path: Path
    certificates: dict[str, Path] = field(default_factory=dict)
    """official_id -> <official_id>.pem"""
    pkcs12: dict[str, Path] = field(default_factory=dict)
    """official_id -> <official_id>.p12"""

    @property
    def ca_certificate(self) -> asn1_x509.Certificate:
        from .keys import load_certificate

        return load_certificate(self.ca_cert_path)

    def certificate(self, official_id: str) -> asn1_x509.Certificate:
        from .keys import load_certificate

        return load_certificate(self.certificates[official_id])


def _write_private(path: Path, data: bytes) -> None:
    """Write key material readable by the owner only (0600 from creation)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _write_public(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _clip(text: str, limit: int = 64) -> str:
    """Fit X.520 upper bounds (cryptography counts UTF-8 bytes: ub-common-name = 64)."""
    text = " ".join(text.split())
    while len(text.encode("utf-8")) > limit:
        text = text[:-1]
    return text.rstrip()


def _utc(now: datetime | None) -> datetime:
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc)


def _encryption(passphrase: str):
    if not passphrase:
        raise ValueError("a passphrase is required: private keys are never written unencrypted")
    return serialization.BestAvailableEncryption(passphrase.encode("utf-8"))


def _issue_official(
    dest: Path,
    *,
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    organisation: str,
    signatory: Signatory,
    passphrase: str,
    now: datetime,
    valid_days: int,
) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=_EE_KEY_BITS)
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, _clip(organisation)),
        x509.NameAttribute(NameOID.COMMON_NAME, _clip(signatory.name)),
    ]
    if signatory.jabatan.strip():
        attrs.append(x509.NameAttribute(NameOID.TITLE, _clip(signatory.jabatan)))
    digits = nip_digits(signatory.nip)
    if digits:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, digits))
    subject = x509.Name(attrs)
    not_after = min(now + timedelta(days=valid_days), ca_cert.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING_EKU]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path = dest / f"{signatory.official_id}.pem"
    p12_path = dest / f"{signatory.official_id}.p12"
    _write_public(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    p12 = pkcs12.serialize_key_and_certificates(
        name=signatory.official_id.encode("utf-8"),
        key=key,
        cert=cert,
        cas=[ca_cert],
        encryption_algorithm=_encryption(passphrase),
    )
    _write_private(p12_path, p12)
    return cert_path, p12_path


def create_demo_pki(
    dest: Path,
    *,
    organisation: str,
    signatories: Sequence[Signatory],
    passphrase: str,
    now: datetime | None = None,
    valid_days: int = 3 * 365,
) -> DemoPki:
    """Create a root CA and one certificate + PKCS#12 per signatory under ``dest``."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    now = _utc(now)
    enc = _encryption(passphrase)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=_CA_KEY_BITS)
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _clip(organisation)),
            x509.NameAttribute(NameOID.COMMON_NAME, _clip(organisation, 64 - 8) + " Demo CA"),
        ]
    )
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=valid_days + 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_cert_path = dest / "ca.pem"
    ca_key_path = dest / "ca-key.pem"
    _write_private(
        ca_key_path,
        ca_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc
        ),
    )
    _write_public(ca_cert_path, ca_cert.public_bytes(serialization.Encoding.PEM))
    certs: dict[str, Path] = {}
    p12s: dict[str, Path] = {}
    seen: set[str] = set()
    for s in signatories:
        if s.official_id in seen:
            raise ValueError(f"official {s.official_id} listed twice")
        seen.add(s.official_id)
        certs[s.official_id], p12s[s.official_id] = _issue_official(
            dest, ca_cert=ca_cert, ca_key=ca_key, organisation=organisation,
            signatory=s, passphrase=passphrase, now=now, valid_days=valid_days,
        )
    return DemoPki(dest=dest, ca_cert_path=ca_cert_path, ca_key_path=ca_key_path,
                   certificates=certs, pkcs12=p12s)


def issue_demo_certificate(
    dest: Path,
    *,
    signatory: Signatory,
    ca_passphrase: str,
    passphrase: str | None = None,
    organisation: str | None = None,
    now: datetime | None = None,
    valid_days: int = 3 * 365,
) -> tuple[Path, Path]:
    """Issue one more official's certificate from the demo CA in ``dest``.

    ``passphrase`` protects the new .p12 (default: the CA passphrase); ``organisation``
    defaults to the CA's O. Returns (cert path, p12 path).
    """
    dest = Path(dest)
    try:
        ca_cert = x509.load_pem_x509_certificate((dest / "ca.pem").read_bytes())
        ca_key_pem = (dest / "ca-key.pem").read_bytes()
    except OSError as e:
        raise KeyLoadError(f"no demo CA in {dest}: {e.strerror or e}") from e
    try:
        ca_key = serialization.load_pem_private_key(ca_key_pem, ca_passphrase.encode("utf-8"))
    except (ValueError, TypeError) as e:
        raise WrongPassphrase(f"the passphrase does not open {dest / 'ca-key.pem'}") from e
    if organisation is None:
        orgs = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        organisation = str(orgs[0].value) if orgs else ""
    return _issue_official(
        dest, ca_cert=ca_cert, ca_key=ca_key, organisation=organisation,
        signatory=signatory, passphrase=passphrase or ca_passphrase,
        now=_utc(now), valid_days=valid_days,
    )
