"""PAdES signature levels: signature timestamps (B-T) and embedded revocation data (B-LT).

Signing side: a :class:`SignaturePolicy` says what a signature carries beyond B-B.

* **B-B**: the CMS signature alone (no network, the fast path).
* **B-T**: plus a signature timestamp from the office's time-stamping authority (RFC 3161);
  it proves the signature existed at that time, so it stays valid after the certificate
  expires.
* **B-LT**: B-T plus the chain, OCSP responses and CRLs of the signer and of the TSA, in
  the document security store (DSS) *of the signature's own revision*
  (``SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE``), so the letter validates offline
  later, with revocation checked, and the TTE still covers the whole file. The revocation
  data is fetched while validating the signer's certificate before signing: a revoked
  certificate is refused then.

Verification side: :class:`Evidence` (what a file carries for long-term validation),
:func:`signature_timestamp` and :func:`verification_context`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal

from asn1crypto import cms, crl, ocsp, x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
)

from .errors import (
    CertificateExpired,
    CertificateNotYetValid,
    CertificateRevoked,
    SignatureError,
    SigningFailed,
    TrustServiceUnavailable,
)

Level = Literal["B-B", "B-T", "B-LT"]
LEVELS: tuple[str, ...] = ("B-B", "B-T", "B-LT")


# --- signing --------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SignaturePolicy:
    """What each signature of an office carries (office setting ``signing.level``).

    The policy keeps one timestamp client: its first token is cached by pyHanko and used to
    size the signature container, so later signatures make a single TSA request each.
    """

    level: Level = "B-B"
    tsa_url: str = ""
    trust_roots: tuple[x509.Certificate, ...] = ()
    """Anchors for validating the signer (B-LT) and the timestamp before it is kept."""
    timeout: float = 10.0
    """Seconds for each request to the TSA, OCSP responder or CRL distribution point."""
    _timestamper: TimeStamper | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"signature level must be one of {', '.join(LEVELS)}, not {self.level!r}")
        if self.level != "B-B":
            if not self.tsa_url:
                raise ValueError(f"level {self.level} needs the URL of a time-stamping authority")
            object.__setattr__(self, "_timestamper", HTTPTimeStamper(self.tsa_url, timeout=self.timeout))
        if self.level == "B-LT" and not self.trust_roots:
            raise ValueError("level B-LT needs the trust roots to validate the signer against")
        object.__setattr__(self, "trust_roots", tuple(self.trust_roots))

    @property
    def timestamped(self) -> bool:
        return self._timestamper is not None

    @property
    def embeds_revocation(self) -> bool:
        return self.level == "B-LT"

    def timestamper(self) -> TimeStamper | None:
        return self._timestamper

    def signing_context(self) -> ValidationContext | None:
        """A fresh context that fetches revocation data (B-LT only); close it with ``aclose``."""
        if not self.embeds_revocation:
            return None
        from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
        from pyhanko_certvalidator.fetchers.api import OwnedFetcherBackend

        return ValidationContext(
            trust_roots=list(self.trust_roots), allow_fetching=True, revocation_mode="hard-fail",
            fetcher_backend=OwnedFetcherBackend(AIOHttpFetcherBackend(per_request_timeout=self.timeout)),
        )

    def metadata_options(self, context: ValidationContext | None) -> dict:
        """Keyword arguments for ``PdfSignatureMetadata``."""
        if context is None:
            return {}
        return {
            "embed_validation_info": True,
            "validation_context": context,
            "dss_settings": DSSContentSettings(
                placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE, include_vri=False
            ),
        }

    async def timestamp_room(self, md_algorithm: str) -> int:
        """Hex digits to reserve for the timestamp token (0 without a TSA)."""
        if self._timestamper is None:
            return 0
        try:
            token = await self._timestamper.async_dummy_response(md_algorithm)
        except TimestampRequestError as e:
            raise self.unavailable(e) from e
        # tokens of one TSA differ by a few bytes (nonce, serial, time): 25 % room, rounded
        # up to whole 512-digit blocks (pyHanko needs an even number of hex digits)
        room = (2 * len(token.dump()) * 5) // 4
        return -(-room // 512) * 512

    def unavailable(self, error: BaseException) -> TrustServiceUnavailable:
        return TrustServiceUnavailable(
            f"the time-stamping authority {self.tsa_url} did not answer ({_root_cause(error)}); "
            "nothing was signed: try again, or check signing.tsa_url in the office profile"
        )


B_B = SignaturePolicy()


def _chain(error: BaseException) -> list[BaseException]:
    """The error and its causes (explicit ``raise ... from``, else the implicit context)."""
    seen: list[BaseException] = []
    e: BaseException | None = error
    while e is not None and e not in seen:
        seen.append(e)
        e = e.__cause__ or (None if e.__suppress_context__ else e.__context__)
    return seen


def _root_cause(error: BaseException) -> str:
    last = _chain(error)[-1]
    return str(last) or type(last).__name__


def _reason_text(reason) -> str:
    try:
        return str(reason.human_friendly) if reason is not None else "no reason given"
    except Exception:
        return str(getattr(reason, "native", reason))


def explain_signing_failure(error: BaseException, policy: SignaturePolicy, field_name: str) -> SignatureError:
    """A Naskah error for a pyHanko failure while signing (timestamp, revocation, path)."""
    chain = _chain(error)
    for e in chain:
        if isinstance(e, TimestampRequestError):
            return policy.unavailable(e)
        if isinstance(e, RevokedError):
            when = e.revocation_dt.isoformat(timespec="seconds") if e.revocation_dt else "an unknown date"
            who = "the signer's certificate" if e.is_ee_cert else "a CA certificate of the signer's chain"
            return CertificateRevoked(f"{who} was revoked on {when} ({_reason_text(e.reason)}); "
                                      f"{field_name} was not signed")
        if isinstance(e, ExpiredError):
            return CertificateExpired(f"a certificate of the signer's chain has expired: {e.failure_msg}")
        if isinstance(e, NotYetValidError):
            return CertificateNotYetValid(f"a certificate of the signer's chain is not valid yet: {e.failure_msg}")
        if isinstance(e, InsufficientRevinfoError):
            return TrustServiceUnavailable(
                f"the revocation status (OCSP/CRL) of the signer's certificate could not be obtained "
                f"({e.failure_msg}); {field_name} was not signed: try again when the CA's services answer")
        if isinstance(e, PathBuildingError):
            return SigningFailed(f"the signer's certificate does not chain to the office's trust roots "
                                 f"({_root_cause(e)}); {field_name} was not signed")
        if isinstance(e, PathValidationError):
            return SigningFailed(f"the signer's certificate is not valid: {e.failure_msg}")
    if isinstance(error, SigningError):
        return SigningFailed(f"pyHanko could not sign {field_name}: {error}")
    return SigningFailed(f"signing {field_name} failed: {_root_cause(error)}")


# --- verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """Certificates, OCSP responses and CRLs a file carries (DSS, CMS revocation attribute)."""

    certs: tuple[x509.Certificate, ...] = ()
    ocsps: tuple[ocsp.OCSPResponse, ...] = ()
    crls: tuple[crl.CertificateList, ...] = ()

    @classmethod
    def of_document(cls, reader: PdfFileReader) -> Evidence:
        from pyhanko.sign.validation import DocumentSecurityStore
        from pyhanko.sign.validation.errors import NoDSSFoundError

        try:
            dss = DocumentSecurityStore.read_dss(reader)
        except NoDSSFoundError:
            return cls()
        ocsps = tuple(ocsp.OCSPResponse.load(r.get_object().data) for r in dss.ocsps)
        crls = tuple(crl.CertificateList.load(r.get_object().data) for r in dss.crls)
        return cls(tuple(dss.load_certs()), ocsps, crls)

    def with_signature(self, signer_info: cms.SignerInfo) -> Evidence:
        """Add the Adobe-style revocation attribute of one signature (older writers use it)."""
        try:
            from pyhanko.sign.general import find_unique_cms_attribute

            archival = find_unique_cms_attribute(signer_info["signed_attrs"], "adobe_revocation_info_archival")
        except Exception:
            return self
        return Evidence(self.certs, self.ocsps + tuple(archival["ocsp"] or ()), self.crls + tuple(archival["crl"] or ()))

    def relevant_to(self, certs: Iterable[x509.Certificate]) -> Evidence:
        """Only the OCSP responses that answer for one of ``certs``.

        pyhanko-certvalidator treats an OCSP response of the right responder that answers for
        another certificate as a failed check, even in soft-fail mode; a DSS holds the responses
        of every earlier signer, so each signature is checked with its own.
        """
        certs = list(certs)
        ocsps = tuple(r for r in self.ocsps if any(_ocsp_answers_for(r, c) for c in certs))
        return Evidence(self.certs, ocsps, self.crls)

    def revocation_source(self, cert: x509.Certificate) -> str | None:
        """'OCSP' or 'CRL' when the file carries revocation data that can answer for ``cert``."""
        for response in self.ocsps:
            if _ocsp_answers_for(response, cert):
                return "OCSP"
        for lst in self.crls:
            if lst["tbs_cert_list"]["issuer"] == cert.issuer:
                return "CRL"
        return None


def _ocsp_answers_for(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    try:
        basic = response["response_bytes"]["response"].parsed
        for single in basic["tbs_response_data"]["responses"]:
            cid = single["cert_id"]
            if cid["serial_number"].native != cert.serial_number:
                continue
            algo = cid["hash_algorithm"]["algorithm"].native
            if hashlib.new(algo, cert.issuer.dump()).digest() == cid["issuer_name_hash"].native:
                return True
    except Exception:
        return False
    return False


def evidence_for(sig, evidence: Evidence) -> Evidence:
    """The document's evidence plus the signature's own, reduced to its chain and its TSA's."""
    evidence = evidence.with_signature(sig.signer_info)
    stamp = signature_timestamp(sig.signer_info)
    tsa_certs = [c.chosen for c in (stamp.signed_data["certificates"] or ())] if stamp else []
    cas = [c for c in [*sig.other_embedded_certs, *evidence.certs] if c.ca]
    return evidence.relevant_to([sig.signer_cert, *cas, *tsa_certs])


@dataclass(frozen=True)
class SignatureTimestamp:
    time: datetime
    tsa: str
    """The TSA's name (common name of its certificate), '' if the token carries no certificate."""
    signed_data: cms.SignedData


def signature_timestamp(signer_info: cms.SignerInfo) -> SignatureTimestamp | None:
    """The signature timestamp token (unsigned attribute), if the signature has one."""
    from pyhanko.sign.validation.generic_cms import extract_tst_data_iter

    for sd in extract_tst_data_iter(signer_info, signed=False):
        info = sd["encap_content_info"]["content"].parsed
        tsa = ""
        try:
            sid = sd["signer_infos"][0]["sid"].chosen
            for c in sd["certificates"] or ():
                cert = c.chosen
                if cert.serial_number == sid["serial_number"].native and cert.issuer == sid["issuer"]:
                    tsa = cert.subject.native.get("common_name", "") or cert.subject.human_friendly
        except Exception:  # a token without certificates or with a key-id sid: name unknown
            pass
        return SignatureTimestamp(info["gen_time"].native, tsa, sd)
    return None


def verification_context(
    trust_roots: Sequence[x509.Certificate],
    evidence: Evidence,
    *,
    extra_certs: Iterable[x509.Certificate] = (),
    moment: datetime | None,
    revocation: Literal["require", "soft-fail", "online"],
) -> ValidationContext:
    """A context over the file's own evidence; ``online`` also fetches (at the current time)."""
    certs = list(evidence.certs) + list(extra_certs)
    if revocation == "online":
        return ValidationContext(trust_roots=list(trust_roots), other_certs=certs, ocsps=list(evidence.ocsps),
                                 crls=list(evidence.crls), allow_fetching=True, revocation_mode="hard-fail")
    # retroactive: OCSP/CRL produced after the signature time (a DSS added later) still say
    # whether the certificate was revoked at that time, as in PAdES long-term validation
    return ValidationContext(
        trust_roots=list(trust_roots), other_certs=certs, ocsps=list(evidence.ocsps), crls=list(evidence.crls),
        allow_fetching=False, revocation_mode=revocation, moment=moment, best_signature_time=moment,
        retroactive_revinfo=True,
    )


def validity_problem(cert: x509.Certificate, when: datetime) -> str | None:
    """Why ``cert`` cannot sign at ``when`` (expired / not yet valid), or None."""
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    start, end = cert.not_valid_before, cert.not_valid_after
    if when < start:
        return f"the certificate is not valid yet: valid from {start:%Y-%m-%d %H:%M} UTC"
    if when > end:
        return f"the certificate expired on {end:%Y-%m-%d %H:%M} UTC"
    return None


def check_usable(cert: x509.Certificate, now: datetime | None = None) -> None:
    """Raise CertificateExpired / CertificateNotYetValid when ``cert`` cannot sign now."""
    now = now or datetime.now(timezone.utc)
    problem = validity_problem(cert, now)
    if problem is None:
        return
    holder = cert.subject.native.get("common_name", "") or cert.subject.human_friendly
    cls = CertificateNotYetValid if now < cert.not_valid_before else CertificateExpired
    raise cls(f"{holder}'s certificate cannot sign now: {problem}; nothing was signed "
              "(ask the CA for a valid certificate and register it in the office profile)")


__all__ = [
    "B_B",
    "LEVELS",
    "Evidence",
    "Level",
    "SignaturePolicy",
    "SignatureTimestamp",
    "check_usable",
    "evidence_for",
    "explain_signing_failure",
    "signature_timestamp",
    "validity_problem",
    "verification_context",
]
