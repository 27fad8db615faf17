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
"""

from __future__ import annotations

from typing import Any, Iterable

from asn1crypto import tsp, x509
from pyhanko.sign.attributes import CMSAttributeProvider, SignedAttributeProviderSpec, SigningCertificateV2Provider
from pyhanko.sign.general import as_signing_certificate_v2

__all__ = ["PreparedAttributes", "PreparedSigningCertificate"]


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
