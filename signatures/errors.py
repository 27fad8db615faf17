"""Errors of the signatures package (keys, paraf/TTE signing, validation)."""


class SignatureError(Exception):
    """Base of every error raised by the signatures package."""


class KeyLoadError(SignatureError):
    """A signing key or certificate could not be loaded."""


class WrongPassphrase(KeyLoadError):
    """The passphrase does not open the PKCS#12 file."""


class WrongPin(WrongPassphrase):
    """The token refused the PIN (a token's PIN is its key's passphrase)."""


class TokenLocked(KeyLoadError):
    """The token's user PIN is locked (too many wrong PINs); its security officer must unlock it."""


class TokenNotFound(KeyLoadError):
    """No token with the configured label is present in the PKCS#11 module."""


class KeyNotOnToken(KeyLoadError):
    """The token holds no private key or certificate with the configured label."""


class Pkcs11ModuleMissing(KeyLoadError):
    """No usable PKCS#11 module (the token's driver library) was found."""


class NotAPdf(SignatureError):
    """The file is not a PDF, or is truncated or damaged beyond reading."""


class CarriesJavaScript(SignatureError):
    """The PDF holds JavaScript actions (PDF/A forbids them); Naskah neither prepares nor signs it."""


class NotANaskahDocument(SignatureError):
    """The PDF has no Naskah signature fields (it was not prepared by Naskah)."""


class SigningFailed(SignatureError):
    """pyHanko failed to produce the signature, or the validation gate rejected it."""


class OutOfOrder(SignatureError):
    """A route step is signed before an earlier step, or signed a second time."""


class WrongSigner(SignatureError):
    """The key's certificate does not belong to the official of this route step."""


class RouteMismatch(SignatureError):
    """The route given does not match the signature fields prepared in the PDF."""


class CertificateNotUsable(SignatureError):
    """The signer's certificate cannot sign now (expired, not yet valid, or revoked)."""


class CertificateExpired(CertificateNotUsable):
    """The signer's certificate (or one of its CA certificates) has expired."""


class CertificateNotYetValid(CertificateNotUsable):
    """The signer's certificate is not valid yet."""


class CertificateRevoked(CertificateNotUsable):
    """The signer's certificate (or one of its CA certificates) is revoked."""


class TrustServiceUnavailable(SignatureError):
    """The time-stamping authority, OCSP responder or CRL server did not answer."""


def message_of(e: BaseException) -> str:
    """An exception's message, else its type's name (a bare KeyError or AssertionError says nothing)."""
    return str(e).strip() or type(e).__name__
