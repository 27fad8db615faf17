"""The signing-certificate-v2 attribute, built once per certificate instead of once per signature.

Every PAdES signature carries the signed attribute ``signing-certificate-v2`` (RFC 5035): the
SHA-256 of the signer's certificate and its issuer and serial number. pyHanko builds it afresh for
each signature from the certificate, and asn1crypto then encodes the issuer name it holds from
Python values. That encoding is most of a CMS's cost (about 7 of 8 ms for an RSA-2048 paraf, the
RSA operation itself is under 1 ms). The attribute depends only on the certificate, so a signer
with :class:`PreparedAttributes` builds it once, keeps its DER and hands pyHanko a parsed copy of
that DER for each signature: the same bytes, whose encoding asn1crypto then reuses.

The rest of the signed attributes (message digest, the PAdES/CAdES ones, signing time where a
profile asks for it) are still pyHanko's, made per signature.

Checking the attribute costs as much again. Every validation (each gate, ``naskah verify``,
``archive verify``) matches its issuer against the certificate with pyHanko's
``match_issuer_serial``, which compares the two names' DER first and their LDAP-prepared strings
(asn1crypto's pure-Python stringprep, a few milliseconds) only when the bytes differ. For this
attribute the bytes always differ: pyHanko takes the issuer out of its ``GeneralName`` with its
``[4]`` tag still on. :func:`match_issuer_serial`, installed in pyHanko's place, compares the
untagged name first; any other case, and any mismatch, is still decided by pyHanko's function.
"""

from __future__ import annotations

from typing import Any, Iterable

from asn1crypto import cms, tsp, x509
from pyhanko.sign import general
from pyhanko.sign.attributes import CMSAttributeProvider, SignedAttributeProviderSpec, SigningCertificateV2Provider
from pyhanko.sign.general import as_signing_certificate_v2

__all__ = ["PreparedAttributes", "PreparedSigningCertificate", "install", "match_issuer_serial"]

_PYHANKO_MATCH = general.match_issuer_serial


def match_issuer_serial(expected: cms.IssuerAndSerialNumber | tsp.IssuerSerial, cert: x509.Certificate) -> bool:
    """pyHanko's ``match_issuer_serial``, the byte comparison it tries first made to work for an
    ``IssuerSerial`` whose issuer is one directory name (see the module docstring)."""
    issuer = expected["issuer"]
    if (isinstance(issuer, x509.GeneralNames) and len(issuer) == 1 and issuer[0].name == "directory_name"
            and issuer[0].chosen.untag().dump() == cert.issuer.dump()
            and expected["serial_number"] == cert["tbs_certificate"]["serial_number"]):
        return True
    return _PYHANKO_MATCH(expected, cert)


def install() -> None:
    """Use :func:`match_issuer_serial` in pyHanko's signing-certificate check (idempotent)."""
    general.match_issuer_serial = match_issuer_serial


class PreparedSigningCertificate(SigningCertificateV2Provider):
    """pyHanko's provider of signing-certificate-v2 for ``signing_cert``, its value encoded once."""

    def __init__(self, signing_cert: x509.Certificate) -> None:
        super().__init__(signing_cert)
        self.der = as_signing_certificate_v2(signing_cert).dump()

    async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
        return tsp.SigningCertificateV2.load(self.der)  # a fresh object per signature: nothing shared is mutated


class _WithPreparedCertificate(SignedAttributeProviderSpec):
    """pyHanko's own attribute spec for one signature, its signing-certificate-v2 provider swapped."""

    def __init__(self, spec: SignedAttributeProviderSpec, prepared: PreparedSigningCertificate) -> None:
        self.spec = spec
        self.prepared = prepared

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str) -> Iterable[CMSAttributeProvider]:
        for provider in self.spec.signed_attr_providers(data_digest=data_digest, digest_algorithm=digest_algorithm):
            if (type(provider) is SigningCertificateV2Provider
                    and provider.signing_cert.dump() == self.prepared.signing_cert.dump()):
                yield self.prepared
            else:
                yield provider


class PreparedAttributes:
    """Mixin for a pyHanko ``Signer`` (first in the bases): its signatures reuse one prepared
    signing-certificate-v2 attribute (see the module docstring).

    pyHanko picks the attribute spec per signature in ``Signer._signed_attr_provider_spec``; this
    keeps its choice (PAdES, CAdES, plain CMS; a spec set on the signer) and only swaps the provider
    of that one attribute. ``tests/test_signatures.py`` checks that the CMS is byte for byte the one
    pyHanko makes alone.
    """

    _prepared_certificate: PreparedSigningCertificate | None = None

    def _signed_attr_provider_spec(self, *args: Any, **kwargs: Any) -> SignedAttributeProviderSpec:
        spec = super()._signed_attr_provider_spec(*args, **kwargs)  # type: ignore[misc]
        cert = self.signing_cert  # type: ignore[attr-defined]
        if cert is None:
            return spec
        prepared = self._prepared_certificate
        if prepared is None or prepared.signing_cert.dump() != cert.dump():
            prepared = self._prepared_certificate = PreparedSigningCertificate(cert)
        return _WithPreparedCertificate(spec, prepared)
