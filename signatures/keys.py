"""Where signing keys come from: the one seam between a key and the signing code.

A :class:`KeySource` is everything ``signatures.signing`` needs from a key:

* ``signer()`` -> a pyHanko :class:`~pyhanko.sign.signers.Signer`. Signing calls only its
  ``async_sign_raw(data, digest_algorithm)`` (through pyHanko), its ``cert_registry`` (the
  chain to embed) and ``get_signature_mechanism_for_digest``. The same object may be returned
  on every call and is reused for many signatures: open keys, sessions and logins once.
* ``certificate`` -> the signer's X.509 certificate (asn1crypto). It is checked against the
  official of the route step (NIP) *before* anything is signed, and again by the validation
  gate after signing.
* ``close()`` -> release what the source holds (a token session, a connection); idempotent.
  ``Naskah.close()`` closes every key it opened.

The secret that unlocks a key (a PKCS#12 passphrase, a token PIN, a remote service's
credential) is given to the source's constructor, used there, and not kept: it never
reaches a log, an exception message, the archive or the audit trail.

Implementations:

* :class:`Pkcs12KeySource` (here): a ``.p12`` file (the demo PKI writes one per official).
* :class:`signatures.pkcs11.Pkcs11KeySource`: a key on a PKCS#11 token, smart card or HSM
  (tests: SoftHSM2), through pyHanko's ``PKCS11Signer``; the PIN is the passphrase.
* **Remote signing (BSrE / a CSC API), later**: a ``KeySource`` whose ``signer()`` returns a
  ``Signer`` subclass implementing ``async_sign_raw`` by hashing ``data`` with
  ``digest_algorithm`` and sending only the digest (and the holder's one-time credential)
  to the service; ``certificate`` comes from the service's credential info.
  ``pyhanko.sign.signers.csc_signer.CSCSigner`` is the starting point for CSC services.
  A remote signature may carry a longer chain: ``signatures.signing.estimate_bytes_reserved``
  sizes the reserved room from ``cert_registry``, so put the chain there. No other part of
  Naskah changes (``tests/test_pkcs11.py`` signs a whole route through such a source).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Hashable
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

from .cms_attributes import PreparedAttributes
from .errors import KeyLoadError, WrongPassphrase


@runtime_checkable
class KeySource(Protocol):
    """A signing key: ``signer()`` gives a pyHanko Signer; ``certificate`` the signer's cert.

    See the module docstring for what callers may rely on.
    """

    def signer(self) -> Signer: ...

    @property
    def certificate(self) -> x509.Certificate: ...

    def close(self) -> None: ...


class _CachedKeySigner(PreparedAttributes, SimpleSigner):
    """SimpleSigner that keeps the parsed private key and its signing-certificate attribute.

    pyHanko's SimpleSigner parses (and, for RSA, consistency-checks) the DER private key
    on every signature; keeping the parsed key object saves that per call. The attribute:
    :mod:`signatures.cms_attributes`.
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


def read_pkcs12(path: Path | str, passphrase: bytes | str):
    """Open a PKCS#12 file: (pyca private key, pyca certificate, [pyca CA certificates]).

    Raises :class:`WrongPassphrase` or :class:`KeyLoadError`; the passphrase is never in a message.
    """
    path = Path(path)
    if isinstance(passphrase, str):
        passphrase = passphrase.encode("utf-8")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise KeyLoadError(f"cannot read key file {path}: {e.strerror or e}") from e
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase or None)
    except ValueError as e:
        msg = str(e).lower()
        if "password" in msg or "mac" in msg or "decrypt" in msg:
            raise WrongPassphrase(f"the passphrase does not open {path}") from e
        raise KeyLoadError(f"{path} is not a readable PKCS#12 file: {e}") from e
    except TypeError as e:  # passphrase given for an unencrypted file, or missing
        raise WrongPassphrase(f"the passphrase does not open {path}") from e
    if key is None or cert is None:
        raise KeyLoadError(f"{path} holds no private key and certificate")
    return key, cert, list(extra or [])


class Pkcs12KeySource:
    """A key in a PKCS#12 (.p12/.pfx) file, decrypted once and cached.

    The file is read and decrypted when the object is created (so a wrong passphrase
    fails early, with :class:`WrongPassphrase`); the same pyHanko signer is reused for
    every signature.
    """

    def __init__(self, path: Path | str, passphrase: bytes | str) -> None:
        self.path = Path(path)
        key, cert, extra = read_pkcs12(self.path, passphrase)
        self._certificate = _to_asn1_cert(cert)
        chain = [_to_asn1_cert(c) for c in extra]
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

    def close(self) -> None:
        """Nothing to release: the decrypted key lives in this process's memory only."""

    def __repr__(self) -> str:
        return f"Pkcs12KeySource({str(self.path)!r})"


class KeyRing:
    """The key sources one service opened, reused while the same secret is given.

    A call with a different secret does not get the open key: that source is closed and
    opened again with the new secret, so the key's own check (the .p12 MAC, the token's PIN
    check) decides. Only a salted digest of the secret is held, with a salt of this object.
    """

    def __init__(self) -> None:
        self._salt = secrets.token_bytes(32)
        self._open: dict[Hashable, tuple[KeySource, bytes]] = {}

    def get(self, where: Hashable, secret: bytes, open_key: Callable[[], KeySource]) -> KeySource:
        digest = hmac.new(self._salt, secret, hashlib.sha256).digest()
        held = self._open.pop(where, None)
        if held is not None:
            if hmac.compare_digest(held[1], digest):
                self._open[where] = held
                return held[0]
            held[0].close()
        key = open_key()
        self._open[where] = (key, digest)
        return key

    def close(self) -> None:
        """Close every key (log out of tokens); the ring can be used again afterwards."""
        held, self._open = list(self._open.values()), {}
        for key, _ in held:
            key.close()


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
