"""Errors of the signatures package (keys, paraf/TTE signing, validation)."""


class SignatureError(Exception):
    """Base of every error raised by the signatures package."""


class KeyLoadError(SignatureError):
    """A signing key or certificate could not be loaded."""


class WrongPassphrase(KeyLoadError):
    """The passphrase does not open the PKCS#12 file."""


class NotAPdf(SignatureError):
    """The file is not a PDF, or is truncated or damaged beyond reading."""


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
