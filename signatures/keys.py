"""Where signing keys come from.

A :class:`KeySource` gives a pyHanko :class:`~pyhanko.sign.signers.Signer` and the signer's
certificate. Today there is one implementation, :class:`Pkcs12KeySource` (the demo PKI's
``<official>.p12`` files). Seams for the others:

* **PKCS#11 (SoftHSM2, a token or an HSM)**: implement ``KeySource`` with
  ``pyhanko.sign.pkcs11.PKCS11Signer`` (needs the ``python-pkcs11`` extra). Open the session
  once and keep the signer, like ``Pkcs12KeySource`` does; the PIN is the passphrase.
* **Remote signing (BSrE / a CSC API)**: implement ``KeySource`` whose ``signer()`` returns a
  ``pyhanko.sign.signers.Signer`` subclass that implements ``async_sign_raw`` by sending
  the digest to the service with the holder's passphrase (typed per signature, never
  stored). ``pyhanko.sign.signers.csc_signer.CSCSigner`` is the starting point for CSC
  services. Remote signatures are larger (timestamp, chain): give ``bytes_reserved`` room
  (see ``signatures.signing.estimate_bytes_reserved``).

Everything in ``signatures.signing`` only uses ``KeySource.signer()`` and
``KeySource.certificate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from asn1crypto import keys as asn1_keys
from asn1crypto import pem
from asn1crypto import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers import Signer, SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .errors import KeyLoadError, WrongPassphrase


@runtime_checkable
class KeySource(Protocol):
    """A signing key: ``signer()`` gives a pyHanko Signer; ``certificate`` the signer's cert."""

    def signer(self) -> Signer: ...

    @property
    def certificate(self) -> x509.Certificate: ...


class _CachedKeySigner(SimpleSigner):
    """SimpleSigner that keeps the parsed private key.

    pyHanko's SimpleSigner parses (and, for RSA, consistency-checks) the DER private key
    on every signature; keeping the parsed key object saves that per call.
    """

    def __init__(self, *args, pyca_key, **kwargs):
        super().__init__(*args, **kwargs)
        self._pyca_key = pyca_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mech = self.get_signature_mechanism_for_digest(digest_algorithm)
        try:
            algo = mech.signature_algo
        except ValueError:
            algo = mech["algorithm"].native
        if algo == "rsassa_pkcs1v15" and isinstance(self._pyca_key, RSAPrivateKey):
            return self._pyca_key.sign(
                data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm)
            )
        return super().sign_raw(data, digest_algorithm)


def _to_asn1_cert(pyca_cert) -> x509.Certificate:
    from cryptography.hazmat.primitives.serialization import Encoding

    return x509.Certificate.load(pyca_cert.public_bytes(Encoding.DER))


class Pkcs12KeySource:
    """A key in a PKCS#12 (.p12/.pfx) file, decrypted once and cached.

    The file is read and decrypted when the object is created (so a wrong passphrase
    fails early, with :class:`WrongPassphrase`); the same pyHanko signer is reused for
    every signature.
    """

    def __init__(self, path: Path | str, passphrase: bytes | str) -> None:
        self.path = Path(path)
        if isinstance(passphrase, str):
            passphrase = passphrase.encode("utf-8")
        try:
            data = self.path.read_bytes()
        except OSError as e:
            raise KeyLoadError(f"cannot read key file {self.path}: {e.strerror or e}") from e
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase or None)
        except ValueError as e:
            msg = str(e).lower()
            if "password" in msg or "mac" in msg or "decrypt" in msg:
                raise WrongPassphrase(
                    f"the passphrase does not open {self.path}"
                ) from e
            raise KeyLoadError(f"{self.path} is not a readable PKCS#12 file: {e}") from e
        except TypeError as e:  # passphrase given for an unencrypted file, or missing
            raise WrongPassphrase(f"the passphrase does not open {self.path}") from e
        if key is None or cert is None:
            raise KeyLoadError(f"{self.path} holds no private key and certificate")
        self._certificate = _to_asn1_cert(cert)
        chain = [_to_asn1_cert(c) for c in (extra or [])]
        store = SimpleCertificateStore()
        store.register_multiple(chain)
        key_der = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._chain = tuple(chain)
        self._signer = _CachedKeySigner(
            signing_cert=self._certificate,
            signing_key=asn1_keys.PrivateKeyInfo.load(key_der),
            cert_registry=store,
            pyca_key=key,
        )

    def signer(self) -> Signer:
        return self._signer

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """The other certificates in the file (the CA chain)."""
        return self._chain

    def __repr__(self) -> str:
        return f"Pkcs12KeySource({str(self.path)!r})"


def load_certificate(path: Path | str) -> x509.Certificate:
    """Load an X.509 certificate from a PEM or DER file (KeyLoadError if impossible)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise KeyLoadError(f"cannot read certificate file {path}: {e.strerror or e}") from e
    try:
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        cert = x509.Certificate.load(data)
        cert.native  # force a full parse so garbage fails here
    except Exception as e:
        raise KeyLoadError(f"{path} is not a PEM or DER certificate: {e}") from e
    return cert
