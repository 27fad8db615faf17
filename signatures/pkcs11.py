"""Keys on a PKCS#11 token, smart card or HSM (the tests use SoftHSM2).

:class:`Pkcs11KeySource` is a :class:`~signatures.keys.KeySource` over pyHanko's
``PKCS11Signer``: the token is opened and logged in once, the key and certificate are found
once, and the same signer then makes every signature. The PIN is the key's passphrase: it is
given to the constructor, sent to the token, and not kept (only a salted digest stays in
memory, so that a second use in the same process must give the same PIN); it never appears
in a message.

PKCS#11 keeps the login per application *and token*, not per session: a second ``C_Login``
is refused and ``C_Logout`` on one session logs all out. So this module opens each token at
most once per process and shares that session between the key sources on it (``_LOGINS``).

The module (the token's driver library) is found by :func:`find_module`: the office
profile's ``pkcs11.module``, else ``$NASKAH_PKCS11_MODULE``, else the usual places of
SoftHSM2 and OpenSC.

:func:`import_pkcs12` puts a ``.p12`` key and certificate on a token (the demo's way to
move an official's key onto a token; a real token gets its key from the CA's enrolment).
"""

from __future__ import annotations

import functools
import glob
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asn1crypto import x509

from .errors import (
    KeyLoadError,
    KeyNotOnToken,
    Pkcs11ModuleMissing,
    TokenLocked,
    TokenNotFound,
    WrongPin,
)
from .keys import read_pkcs12

MODULE_ENV = "NASKAH_PKCS11_MODULE"

# Where distributions install SoftHSM2 and OpenSC's smart-card module (globs).
KNOWN_MODULES: tuple[str, ...] = (
    "/usr/lib/softhsm/libsofthsm2.so",                   # Debian, Ubuntu
    "/usr/lib/*-linux-gnu/softhsm/libsofthsm2.so",       # Debian multiarch
    "/usr/lib64/pkcs11/libsofthsm2.so",                  # Fedora, RHEL
    "/usr/lib/pkcs11/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",             # built from source, FreeBSD
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",          # macOS (Homebrew)
    "/usr/local/opt/softhsm/lib/softhsm/libsofthsm2.so",
    "/usr/lib/*-linux-gnu/opensc-pkcs11.so",             # OpenSC (smart cards, USB tokens)
    "/usr/lib64/opensc-pkcs11.so",
    "/usr/lib/opensc-pkcs11.so",
)


def find_module(configured: str = "", *, environ: Mapping[str, str] = os.environ,
                known: Sequence[str] = KNOWN_MODULES) -> Path:
    """The PKCS#11 module to load: the configured path, else $NASKAH_PKCS11_MODULE, else a known one."""
    for given, where in ((configured, "pkcs11.module in the office profile"), (environ.get(MODULE_ENV, ""), MODULE_ENV)):
        if given:
            path = Path(given).expanduser()
            if not path.is_file():
                raise Pkcs11ModuleMissing(f"PKCS#11 module {path} (named by {where}) does not exist")
            return path
    for pattern in known:
        for found in sorted(glob.glob(pattern)):
            if Path(found).is_file():
                return Path(found)
    raise Pkcs11ModuleMissing(
        "no PKCS#11 module found: install the token's driver (for the demo token: apt-get install softhsm2) "
        f"and name it in the office profile (pkcs11: module:) or in {MODULE_ENV}")


@dataclass(frozen=True)
class TokenKey:
    """Where a key is: the module, the token's label, the private key's and certificate's labels."""

    module: Path
    token: str
    key_label: str
    cert_label: str = ""  # default: the key's label

    @property
    def certificate_label(self) -> str:
        return self.cert_label or self.key_label


def _pkcs11():
    try:
        import pkcs11
    except ImportError as exc:  # an optional dependency in principle; installed with Naskah
        raise Pkcs11ModuleMissing("python-pkcs11 is not installed (pip install python-pkcs11)") from exc
    return pkcs11


def _pin_text(pin: bytes | str) -> str:
    if isinstance(pin, bytes):
        try:
            return pin.decode("utf-8")
        except UnicodeDecodeError:
            raise WrongPin("the PIN is not UTF-8 text") from None
    return pin


def _library(module: Path):
    pkcs11 = _pkcs11()
    try:
        return pkcs11.lib(str(module))
    except (pkcs11.PKCS11Error, OSError) as exc:
        raise Pkcs11ModuleMissing(f"{module} is not a usable PKCS#11 module ({exc or type(exc).__name__})") from None


def _find_token(lib, module: Path, label: str):
    pkcs11 = _pkcs11()
    present = []
    for slot in lib.get_slots(token_present=True):
        try:
            token = slot.get_token()
        except (pkcs11.TokenNotPresent, pkcs11.TokenNotRecognised):
            continue
        if token.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED:  # SoftHSM2 always shows one blank token
            present.append(token)
    matching = [t for t in present if t.label == label]
    if len(matching) == 1:
        return matching[0]
    if matching:
        raise TokenNotFound(f"{len(matching)} tokens are labelled '{label}' in {module}: give each token its own label")
    if not present:
        raise TokenNotFound(f"no token is present in {module}: insert the token labelled '{label}'")
    labels = ", ".join(repr(t.label) for t in present)
    raise TokenNotFound(f"no token labelled '{label}' in {module} (present: {labels}); "
                        "insert it, or correct pkcs11.token in the office profile")


def _tries_left(lib, module: Path, label: str) -> str:
    from pkcs11 import TokenFlag

    try:
        flags = _find_token(lib, module, label).flags
    except KeyLoadError:
        return ""
    if flags & TokenFlag.USER_PIN_FINAL_TRY:
        return "; one more wrong PIN will lock the token"
    if flags & TokenFlag.USER_PIN_COUNT_LOW:
        return "; the token reports that few tries are left before it locks"
    return ""


def _locked(label: str) -> TokenLocked:
    return TokenLocked(f"token '{label}' is locked: too many wrong PINs were given; its security officer "
                       "must unlock it (reset the user PIN with the SO PIN) before it can sign again")


def open_session(module: Path, label: str, pin: bytes | str, *, rw: bool = False):
    """Open and log in to the token labelled ``label``: a python-pkcs11 Session.

    Every failure is one of the signatures errors; none carries the PIN.
    """
    pkcs11 = _pkcs11()
    from pkcs11 import TokenFlag

    pin_text = _pin_text(pin)
    lib = _library(module)
    token = _find_token(lib, module, label)
    flags = token.flags
    if flags & TokenFlag.USER_PIN_LOCKED:  # do not spend a try on a token that says it is locked
        raise _locked(label)
    if not flags & TokenFlag.USER_PIN_INITIALIZED:
        raise KeyLoadError(f"token '{label}' has no user PIN yet: initialise it first (e.g. softhsm2-util --init-pin)")
    try:
        return token.open(rw=rw, user_pin=pin_text)
    except pkcs11.PinLocked:
        raise _locked(label) from None
    except (pkcs11.PinIncorrect, pkcs11.PinInvalid, pkcs11.PinLenRange):
        raise WrongPin(f"the PIN does not open token '{label}'{_tries_left(lib, module, label)}") from None
    except pkcs11.UserAlreadyLoggedIn:
        raise KeyLoadError(f"token '{label}' is already in use by this process; close it first") from None
    except pkcs11.PKCS11Error as exc:
        raise KeyLoadError(f"token '{label}' could not be opened ({type(exc).__name__})") from None


@dataclass
class _Login:
    session: Any
    pin_digest: bytes
    users: int = 0


class _Logins:
    """The open, logged-in session of each token in this process (see the module docstring)."""

    def __init__(self) -> None:
        self._salt = secrets.token_bytes(32)  # per process: the digest is useless outside it
        self._open: dict[tuple[str, str], _Login] = {}
        self._lock = threading.Lock()

    def _digest(self, pin: str) -> bytes:
        return hmac.new(self._salt, pin.encode("utf-8"), hashlib.sha256).digest()

    def acquire(self, module: Path, label: str, pin: bytes | str):
        pin_text = _pin_text(pin)
        with self._lock:
            login = self._open.get((str(module), label))
            if login is None:
                login = _Login(open_session(module, label, pin_text), self._digest(pin_text))
                self._open[(str(module), label)] = login
            elif not hmac.compare_digest(login.pin_digest, self._digest(pin_text)):
                # The token is logged in already; only the PIN that logged it in may use it.
                raise WrongPin(f"the PIN does not open token '{label}'")
            login.users += 1
            return login.session

    def release(self, module: Path, label: str) -> None:
        with self._lock:
            login = self._open.get((str(module), label))
            if login is None:
                return
            login.users -= 1
            if login.users > 0:
                return
            del self._open[(str(module), label)]
        try:
            login.session.close()  # C_Logout, C_CloseSession
        except _pkcs11().PKCS11Error:
            pass  # the token was pulled out, or the library finalised: nothing left to close

    def is_open(self, module: Path, label: str) -> bool:
        return (str(module), label) in self._open


_LOGINS = _Logins()


def _objects(session, kind, label: str | None = None) -> list:
    from pkcs11 import Attribute

    query = {Attribute.CLASS: kind}
    if label is not None:
        query[Attribute.LABEL] = label
    return list(session.get_objects(query))


def _labels(session, kind) -> str:
    from pkcs11 import Attribute

    labels = sorted({str(o[Attribute.LABEL]) for o in _objects(session, kind)})
    return ", ".join(repr(x) for x in labels) or "none"


def _one(session, where: TokenKey, kind, label: str, what: str):
    found = _objects(session, kind, label)
    if len(found) == 1:
        return found[0]
    if found:
        raise KeyNotOnToken(f"token '{where.token}' holds {len(found)} {what}s labelled '{label}'; relabel them")
    raise KeyNotOnToken(f"token '{where.token}' has no {what} labelled '{label}' ({what}s on it: "
                        f"{_labels(session, kind)}); correct the label in the office profile or import the key "
                        "(naskah keys token-import)")


def _token_cas(session) -> tuple[x509.Certificate, ...]:
    """The CA certificates stored on the token (other officials' certificates are not embedded)."""
    from pkcs11 import Attribute, ObjectClass

    certs = [x509.Certificate.load(o[Attribute.VALUE]) for o in _objects(session, ObjectClass.CERTIFICATE)]
    return tuple(c for c in certs if c.ca)


def _check_pair(key_obj, cert: x509.Certificate, where: TokenKey) -> None:
    """An RSA key and certificate under the configured labels must belong together."""
    from pkcs11 import Attribute

    if cert.public_key.algorithm != "rsa":
        return
    try:
        modulus = int.from_bytes(key_obj[Attribute.MODULUS], "big")
    except _pkcs11().PKCS11Error:
        return  # the token does not show the modulus: the validation gate still checks the pair
    if modulus != cert.public_key.native["public_key"]["modulus"]:
        raise KeyNotOnToken(f"on token '{where.token}' the key '{where.key_label}' and the certificate "
                            f"'{where.certificate_label}' do not belong together")


@functools.lru_cache(maxsize=None)
def _prepared(signer_class: type) -> type:
    """pyHanko's PKCS11Signer with the signing-certificate attribute built once (:mod:`.cms_attributes`)."""
    from .cms_attributes import PreparedAttributes

    return type("PreparedPkcs11Signer", (PreparedAttributes, signer_class), {})


class Pkcs11KeySource:
    """A key on a PKCS#11 token: log in once, find the key and certificate once, sign many times.

    ``chain``: CA certificates to embed next to the signer's; default: the CA certificates
    stored on the token. Raises, before anything is signed: :class:`Pkcs11ModuleMissing`,
    :class:`TokenNotFound`, :class:`TokenLocked`, :class:`WrongPin`, :class:`KeyNotOnToken`.
    """

    def __init__(self, where: TokenKey, pin: bytes | str, *,
                 chain: Sequence[x509.Certificate] | None = None) -> None:
        from pkcs11 import ObjectClass
        from pyhanko.sign.pkcs11 import PKCS11Signer

        self.where = where
        session = _LOGINS.acquire(where.module, where.token, pin)
        self._closed = False
        try:
            key_obj = _one(session, where, ObjectClass.PRIVATE_KEY, where.key_label, "private key")
            cert_obj = _one(session, where, ObjectClass.CERTIFICATE, where.certificate_label, "certificate")
            from pkcs11 import Attribute

            self._certificate = x509.Certificate.load(cert_obj[Attribute.VALUE])
            _check_pair(key_obj, self._certificate, where)
            self._chain = tuple(chain) if chain is not None else _token_cas(session)
            self._signer = _prepared(PKCS11Signer)(session, key_label=where.key_label, signing_cert=self._certificate,
                                                   ca_chain=list(self._chain), other_certs_to_pull=())
            self._signer.signing_cert  # loads the key handle now, not in the middle of a signature
        except BaseException:
            self._closed = True
            _LOGINS.release(where.module, where.token)
            raise

    def signer(self):
        if self._closed:
            raise KeyLoadError(f"the key '{self.where.key_label}' on token '{self.where.token}' was closed")
        return self._signer

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        return self._chain

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Give the session back; the token is logged out when its last key source closes."""
        if not self._closed:
            self._closed = True
            _LOGINS.release(self.where.module, self.where.token)

    def __enter__(self) -> "Pkcs11KeySource":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Pkcs11KeySource(token={self.where.token!r}, key={self.where.key_label!r})"


# -- putting a key on a token ------------------------------------------------------------


@dataclass(frozen=True)
class TokenImport:
    """What :func:`import_pkcs12` wrote: a private key, its public key and certificate (and the CA's)."""

    module: Path
    token: str
    label: str
    object_id: str  # CKA_ID shared by the three objects (hex)
    subject: str


def _key_templates(key, cert_der: bytes) -> tuple[dict, dict]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from pkcs11.util.ec import decode_ec_private_key
    from pkcs11.util.rsa import decode_rsa_private_key
    from pkcs11.util.x509 import decode_x509_public_key

    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    if isinstance(key, rsa.RSAPrivateKey):
        private = decode_rsa_private_key(der)
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        private = decode_ec_private_key(der)
    else:
        raise KeyLoadError(f"only RSA and EC keys can be put on a token, not {type(key).__name__}")
    return private, decode_x509_public_key(cert_der)


def import_pkcs12(p12: Path, passphrase: bytes | str, *, module: Path, token: str, pin: bytes | str,
                  label: str) -> TokenImport:
    """Copy the key and certificate of a PKCS#12 file onto a token, under ``label``.

    The private key is stored sensitive and not extractable. Refused (nothing written) if the
    token already holds an object with that label; on any failure the objects written so far
    are removed again.
    """
    from cryptography.hazmat.primitives import serialization
    from pkcs11 import Attribute, ObjectClass
    from pkcs11.util.x509 import decode_x509_certificate

    if not label.strip():
        raise KeyLoadError("give the key a label on the token")
    key, cert, cas = read_pkcs12(p12, passphrase)
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    asn1_cert = x509.Certificate.load(cert_der)
    private, public = _key_templates(key, cert_der)
    object_id = hashlib.sha1(asn1_cert.public_key["public_key"].contents).digest()  # as most token tools do
    if _LOGINS.is_open(module, token):
        raise KeyLoadError(f"token '{token}' is in use by a signing key of this process; close it first")
    session = open_session(module, token, pin, rw=True)
    created = []
    try:
        taken = [kind for kind in (ObjectClass.PRIVATE_KEY, ObjectClass.PUBLIC_KEY, ObjectClass.CERTIFICATE)
                 if _objects(session, kind, label)]
        if taken:
            raise KeyLoadError(f"token '{token}' already holds objects labelled '{label}'; "
                               "choose another label (--label) or remove them from the token first")
        common = {Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: object_id}
        templates = (
            {**private, **common, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
             Attribute.EXTRACTABLE: False, Attribute.SIGN: True, Attribute.DECRYPT: False,
             Attribute.UNWRAP: False},
            {**public, **common, Attribute.VERIFY: True, Attribute.ENCRYPT: False, Attribute.WRAP: False},
            {**decode_x509_certificate(cert_der), **common},
        )
        for template in templates:
            created.append(session.create_object(template))
        stored = {bytes(o[Attribute.VALUE]) for o in _objects(session, ObjectClass.CERTIFICATE)}
        for ca in cas:  # the chain, once per token, under the CA's own name
            ca_der = ca.public_bytes(serialization.Encoding.DER)
            if ca_der not in stored:
                ca_name = x509.Certificate.load(ca_der).subject.native.get("common_name") or "CA"
                created.append(session.create_object({**decode_x509_certificate(ca_der), Attribute.TOKEN: True,
                                                      Attribute.LABEL: str(ca_name)}))
                stored.add(ca_der)
    except BaseException as exc:
        for obj in reversed(created):
            try:
                obj.destroy()
            except _pkcs11().PKCS11Error:
                pass
        if isinstance(exc, _pkcs11().PKCS11Error):
            raise KeyLoadError(f"token '{token}' refused the key ({type(exc).__name__})") from None
        raise
    finally:
        session.close()
    return TokenImport(module=module, token=token, label=label, object_id=object_id.hex(),
                       subject=str(asn1_cert.subject.native.get("common_name", asn1_cert.subject.human_friendly)))
