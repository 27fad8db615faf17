"""Verify a Naskah letter: every route signature present, intact, trusted, in order, unchanged.

The route is read from the signature field names in the PDF (``Paraf_<i>_<official>`` and
``TTE_<official>``); the expected signatories come from the caller (the office profile).
pyHanko does the cryptography, the trust path (to ``trust_roots`` only), the timestamp and
the difference analysis of later revisions; revocation is checked with the data the file
carries (B-LT) or, when asked, fetched online. A signature whose later revisions are all plain
Naskah signing revisions is judged by :func:`signatures.revisions.signing_only` (a strict subset
of pyHanko's "form filling", and several times cheaper); everything else by pyHanko's analysis.

What a report says per signature: signer (name, NIP, jabatan), route role, signing time,
timestamp (time, TSA), level (B-B / B-T / B-LT / B-LTA, read from the file), what it covers
(revision, byte range), what changed after it (pyHanko's modification level and a summary of
each later revision, see :mod:`signatures.changes`), trust (path to which root, revocation
checked how). Then the document: missing steps, order, revisions that change the letter without
a signature, and JavaScript in any revision.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from asn1crypto import x509
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel, SuspiciousModification
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel

from . import revisions
from .changes import changes_after, javascript_by_revision, unsigned_revisions
from .errors import NotAPdf, message_of
from .ltv import Evidence, evidence_for, signature_timestamp, validity_problem, verification_context
from .route import nip_digits, parse_field_name
from .signing import (
    NOMOR_FIELD,
    TANGGAL_FIELD,
    certificate_name,
    certificate_nip,
    read_pdf,
    run_coroutine,
    signature_fields,
)

# pyHanko logs every validation failure as a warning; the report carries them instead.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

_LEVEL_ORDER = ("B-B", "B-T", "B-LT", "B-LTA")


@dataclass(frozen=True)
class ExpectedSignatory:
    official_id: str
    name: str
    nip: str
    jabatan: str
    certificate: x509.Certificate | None = None
    """If given, the signer certificate must be exactly this one (SHA-256 fingerprint)."""
    role: str = ""
    """The official's SOP role (office profile), shown in the report."""


@dataclass
class SignatureCheck:
    field: str
    kind: str | None
    """"paraf", "tte", or None for a signature outside the Naskah route."""
    index: int | None
    """0-based route step index (TTE: the number of parafs)."""
    official_id: str | None
    signer_name: str
    signer_nip: str
    signing_time: datetime | None
    intact: bool
    trusted: bool
    expected_signer_ok: bool
    covers_whole_document: bool
    modification_level: str | None
    """pyHanko's level of the changes made after this signature (NONE, LTA_UPDATES, FORM_FILLING, ...)."""
    revision: int | None = None
    reason: str | None = None
    signer_sha256: str = ""
    problems: list[str] = field(default_factory=list)
    route_role: str = ""
    """"paraf 1 of 2", "TTE", or "outside the route"."""
    role: str = ""
    """The expected official's SOP role (from the office profile)."""
    signer_jabatan: str = ""
    """Jabatan: the certificate's title, else the office profile's."""
    timestamp_time: datetime | None = None
    timestamp_authority: str = ""
    level: str = "B-B"
    byte_range: list[int] = field(default_factory=list)
    coverage: str = ""
    changes_after: list[str] = field(default_factory=list)
    """One line per later revision: what it changed."""
    trust_path: list[str] = field(default_factory=list)
    """Certificate names from the trust root down to the signer."""
    trust_root: str = ""
    revocation: str = ""
    """How revocation was checked: embedded OCSP/CRL, online, or not."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "kind": self.kind,
            "index": self.index,
            "official_id": self.official_id,
            "route_role": self.route_role,
            "role": self.role,
            "signer_name": self.signer_name,
            "signer_nip": self.signer_nip,
            "signer_jabatan": self.signer_jabatan,
            "signer_sha256": self.signer_sha256,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "timestamp_time": self.timestamp_time.isoformat() if self.timestamp_time else None,
            "timestamp_authority": self.timestamp_authority or None,
            "level": self.level,
            "reason": self.reason,
            "revision": self.revision,
            "byte_range": list(self.byte_range),
            "coverage": self.coverage,
            "intact": self.intact,
            "trusted": self.trusted,
            "trust_root": self.trust_root or None,
            "trust_path": list(self.trust_path),
            "revocation": self.revocation,
            "expected_signer_ok": self.expected_signer_ok,
            "covers_whole_document": self.covers_whole_document,
            "modification_level": self.modification_level,
            "changes_after": list(self.changes_after),
            "ok": self.ok,
            "problems": list(self.problems),
        }


@dataclass
class VerificationReport:
    sha256: str
    route_fields: list[str]
    """The route as prepared in the PDF, in order."""
    signatures: list[SignatureCheck]
    """In signing (revision) order."""
    missing: list[str]
    """Route fields that are not signed."""
    nomor: str | None = None
    tanggal: str | None = None
    report_problems: list[str] = field(default_factory=list)
    """Problems of the document as a whole (missing steps, order, unsigned changes)."""
    revisions: int = 0
    document_timestamps: list[datetime] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        out = list(self.report_problems)
        for s in self.signatures:
            out += [f"{s.field}: {p}" for p in s.problems]
        return out

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def level(self) -> str | None:
        """The lowest level among the route's signatures (None without signatures)."""
        levels = [s.level for s in self.signatures if s.kind is not None]
        return min(levels, key=_LEVEL_ORDER.index) if levels else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "verdict": "VALID" if self.ok else "INVALID",
            "sha256": self.sha256,
            "nomor": self.nomor,
            "tanggal": self.tanggal,
            "level": self.level,
            "revisions": self.revisions,
            "document_timestamps": [t.isoformat() for t in self.document_timestamps],
            "route_fields": list(self.route_fields),
            "missing": list(self.missing),
            "signatures": [s.to_dict() for s in self.signatures],
            "problems": self.problems,
        }

    def to_text(self) -> str:
        yn = {True: "yes", False: "NO"}
        lines = [
            "Naskah signature verification (verifikasi tanda tangan elektronik)",
            f"  Document SHA-256 : {self.sha256}",
        ]
        if self.nomor is not None:
            lines.append(f"  Nomor            : {self.nomor or '(empty)'}")
        if self.tanggal is not None:
            lines.append(f"  Tanggal          : {self.tanggal or '(empty)'}")
        lines.append(
            "  Route            : " + (" -> ".join(self.route_fields) or "(no Naskah fields)")
        )
        lines.append(f"  Revisions        : {self.revisions}; level {self.level or '-'}")
        for n, s in enumerate(self.signatures, 1):
            if s.kind == "paraf":
                title = f"Paraf {s.index + 1 if s.index is not None else '?'}"
            elif s.kind == "tte":
                title = "TTE (tanda tangan elektronik)"
            else:
                title = "Signature outside the route"
            stamp = "none"
            if s.timestamp_time is not None:
                stamp = f"{_when(s.timestamp_time)} by {s.timestamp_authority or 'an unnamed TSA'}"
            trusted = yn[s.trusted] + (f" (root: {s.trust_root})" if s.trusted and s.trust_root else "")
            lines += [
                "",
                f"[{n}] {title} - field {s.field}",
                f"    Signer (penanda tangan) : {s.signer_name or '?'} (NIP. {s.signer_nip or '?'})",
                f"    Jabatan                 : {s.signer_jabatan or '?'}",
                f"    Route role              : {s.route_role}"
                + (f", official {s.official_id}" if s.official_id else "")
                + (f" (SOP role {s.role})" if s.role else ""),
                f"    Signing time            : {_when(s.signing_time) if s.signing_time else 'unknown'}",
                f"    Timestamp               : {stamp}",
                f"    Level                   : {s.level}",
                f"    Intact (utuh)           : {yn[s.intact]}",
                f"    Trusted (terpercaya)    : {trusted}",
            ]
            if s.trust_path:
                lines.append(f"    Trust path              : {' > '.join(s.trust_path)}")
            lines += [
                f"    Revocation              : {s.revocation or 'not checked'}",
                f"    Expected official       : {yn[s.expected_signer_ok]}",
                f"    Covers                  : {s.coverage or '?'}",
                f"    Covers whole document   : {'yes' if s.covers_whole_document else 'no'}",
                f"    Changes after signing   : {s.modification_level or 'not analysed'}",
            ]
            lines += [f"      {c}" for c in s.changes_after]
            lines.append(f"    Result                  : {'OK' if s.ok else 'PROBLEM'}")
            lines += [f"      - {p}" for p in s.problems]
        if self.document_timestamps:
            lines += ["", "Document timestamps: " + ", ".join(_when(t) for t in self.document_timestamps)]
        if self.missing:
            lines += ["", "Not signed yet (belum ditandatangani): " + ", ".join(self.missing)]
        if self.problems:
            lines += ["", "Problems:"] + [f"  - {p}" for p in self.problems]
        lines += ["", f"Verdict: {'VALID' if self.ok else 'INVALID'}"]
        return "\n".join(lines)


def _when(t: datetime) -> str:
    return t.isoformat(sep=" ", timespec="seconds")


def _norm_name(s: str) -> str:
    return " ".join(s.casefold().split())


def _text_field_value(r, name: str) -> str | None:
    try:
        fields = r.root["/AcroForm"]["/Fields"]
    except KeyError:
        return None
    for ref in fields:
        f = ref.get_object()
        if f.get("/T") == name:
            v = f.get("/V")
            return "" if v is None else str(v)
    return None


def _cert_label(cert: x509.Certificate) -> str:
    subject = cert.subject.native
    return str(subject.get("common_name") or cert.subject.human_friendly)


# --- validating one signature -----------------------------------------------------------------


@dataclass
class _Outcome:
    status: PdfSignatureStatus | None
    error: Exception | None = None
    mode: str = "soft-fail"
    moment: datetime | None = None
    """The validation time: ``at``, else the signature timestamp's time, else None (now)."""
    moment_from: str = "now"
    """What the validation time is: "timestamp", "given" or "now"."""
    path_error: Exception | None = None
    """Why the signer's path did not validate (certvalidator's error), when it did not."""


async def _validate(sig, roots, evidence: Evidence, at: datetime | None, online: bool) -> _Outcome:
    try:
        stamp = signature_timestamp(sig.signer_info)
        evidence = evidence_for(sig, evidence)
        moment = at or (stamp.time if stamp else None)
        if online:
            mode = "online"
        elif evidence.revocation_source(sig.signer_cert) is not None:
            mode = "require"  # the file claims long-term data: the whole chain must be covered
        else:
            mode = "soft-fail"
        status = await _status(sig, roots, evidence, moment, mode)
        if mode == "require" and not status.trusted and not status.revoked and status.trust_problem_indic in (
            AdESIndeterminate.TRY_LATER, AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE,
            AdESIndeterminate.NO_POE, AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE,
        ):
            mode = "soft-fail"  # the data does not cover the whole chain: check what it covers
            status = await _status(sig, roots, evidence, moment, mode)
        moment_from = "given" if at else ("timestamp" if stamp and not online else "now")
        path_error = None if status.trusted else await _path_error(sig, roots, evidence, moment, mode)
        return _Outcome(status, None, mode, None if online else moment, moment_from, path_error)
    except Exception as e:  # a broken signature must not abort the whole report
        return _Outcome(None, e)


async def _path_error(sig, roots, evidence, moment, mode) -> Exception | None:
    """pyHanko's status keeps only an AdES code; validating the path again gives the reason."""
    from pyhanko_certvalidator import CertificateValidator

    context = verification_context(roots, evidence, extra_certs=sig.other_embedded_certs,
                                   moment=moment, revocation=mode)
    try:
        validator = CertificateValidator(sig.signer_cert, intermediate_certs=sig.other_embedded_certs,
                                         validation_context=context)
        await validator.async_validate_usage(set())
        return None
    except Exception as e:
        return e
    finally:
        await context.aclose()


async def _status(sig, roots, evidence, moment, mode) -> PdfSignatureStatus:
    context = verification_context(roots, evidence, extra_certs=sig.other_embedded_certs,
                                   moment=moment, revocation=mode)
    try:
        # a verdict already given by revisions.signing_only() (see verify_pdf) is kept
        return await async_validate_pdf_signature(sig, signer_validation_context=context,
                                                  skip_diff=sig.diff_result is not None)
    finally:
        await context.aclose()


async def _validate_all(sigs, roots, evidence, at, online) -> list[_Outcome]:
    return [await _validate(s, roots, evidence, at, online) for s in sigs]


def _judge_signing_revisions(r, sigs) -> None:
    """Give each signature followed only by Naskah signing revisions its verdict (pyHanko's
    analysis is then skipped for it); any doubt leaves the signature to pyHanko."""
    try:
        fields = revisions.form_field_objects(r)
    except Exception:
        return
    for s in sigs:
        try:
            s.diff_result = revisions.signing_only(r, s, sigs, fields)
        except Exception:
            s.diff_result = None


def _revocation_text(outcome: _Outcome, path, evidence: Evidence, signer: x509.Certificate | None) -> str:
    status = outcome.status
    if status is not None and status.revoked:
        d = status.revocation_details
        who = "a CA certificate" if d.ca_revoked else "the signer's certificate"
        return f"{who} is REVOKED (since {d.revocation_date:%Y-%m-%d %H:%M} UTC)"
    if outcome.mode == "online":
        return "checked online now (OCSP/CRL fetched from the CA)"
    certs = list(path.iter_certs(include_root=False)) if path is not None else []
    sources = [f"{evidence.revocation_source(c)} for {_cert_label(c)}" for c in certs if evidence.revocation_source(c)]
    if outcome.mode == "require" and status is not None and status.trusted:
        return "checked offline with the file's embedded data: " + ", ".join(sources)
    if signer is None or evidence.revocation_source(signer) is None:
        return ("not checked: the file carries no revocation data for the signer's certificate "
                "(B-LT embeds it; --online fetches it)")
    return "partly checked: the file's embedded data covers only " + ", ".join(sources)


def _level(outcome: _Outcome, later_doc_timestamp: bool) -> str:
    status = outcome.status
    tsv = status.timestamp_validity if status is not None else None
    if tsv is None or not (tsv.intact and tsv.valid):
        return "B-B"
    if outcome.mode == "require" and status.trusted:
        return "B-LTA" if later_doc_timestamp else "B-LT"
    return "B-T"


def _trust_problem(outcome: _Outcome, cert: x509.Certificate | None) -> str:
    from pyhanko_certvalidator.errors import InsufficientRevinfoError, PathBuildingError

    status = outcome.status
    assert status is not None
    moment = outcome.moment or datetime.now(timezone.utc)
    error = outcome.path_error
    if status.revoked:
        d = status.revocation_details
        who = "a CA certificate of the signer's chain" if d.ca_revoked else "the signer's certificate"
        reason = getattr(d.revocation_reason, "human_friendly", None) or str(d.revocation_reason or "")
        return f"{who} was revoked on {d.revocation_date:%Y-%m-%d %H:%M} UTC" + (f" ({reason})" if reason else "")
    problem = validity_problem(cert, moment) if cert is not None else None
    if problem is not None:
        at = {"timestamp": "at the signature's timestamp", "given": "at the time asked for"}.get(
            outcome.moment_from, "now")
        tail = "" if status.timestamp_validity else " and no timestamp proves the signature was made earlier"
        return f"the signer's certificate is not valid {at} ({_when(moment)}): {problem}{tail}"
    if isinstance(error, InsufficientRevinfoError):
        return f"the signer's certificate is not trusted: its revocation status could not be established ({error})"
    if isinstance(error, PathBuildingError) or status.trust_problem_indic == AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        issuer = cert.issuer.native.get("common_name", "") if cert is not None else ""
        return ("the signer's certificate is not trusted (no valid path to the trust roots"
                + (f"; issued by {issuer!r}" if issuer else "") + ")")
    why = str(error) if error is not None else (status.trust_problem_indic.name if status.trust_problem_indic else "")
    return f"the signer's certificate is not trusted ({why or 'unknown reason'})"


def verify_pdf(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    signatories: Mapping[str, ExpectedSignatory],
    at: datetime | None = None,
    online: bool = False,
    full_analysis: bool = False,
) -> VerificationReport:
    """Check every signature of a Naskah letter against the route in its field names.

    ``at`` fixes the validation time (default: each signature's timestamp, else now);
    ``online`` also fetches revocation data from the CA (at the current time);
    ``full_analysis`` runs pyHanko's difference analysis for every signature, also where
    :func:`signatures.revisions.signing_only` could judge it.
    """
    r = read_pdf(pdf)
    sha = hashlib.sha256(bytes(pdf)).hexdigest()
    fields = signature_fields(r)

    report_problems: list[str] = []
    parafs: dict[int, str] = {}
    ttes: list[str] = []
    for name in fields:
        parsed = parse_field_name(name)
        if parsed is None:
            continue
        if parsed.kind == "paraf":
            assert parsed.index is not None
            if parsed.index in parafs:
                report_problems.append(f"two paraf fields with number {parsed.index + 1}")
            parafs[parsed.index] = name
        else:
            ttes.append(name)
    route_fields = [parafs[i] for i in sorted(parafs)] + ttes
    if not route_fields:
        report_problems.append("the PDF has no Naskah signature fields (not prepared by Naskah)")
    if sorted(parafs) != list(range(len(parafs))):
        report_problems.append("paraf fields are not numbered 1..n")
    if len(ttes) != 1 and route_fields:
        report_problems.append(f"expected exactly one TTE field, found {len(ttes)}")
    step_of = {name: i for i, name in enumerate(route_fields)}
    n_parafs = len(parafs)

    try:
        sigs = list(r.embedded_regular_signatures)
        doc_timestamps = list(r.embedded_timestamp_signatures)
        total = r.xrefs.total_revisions
        evidence = Evidence.of_document(r)
    except Exception as e:
        raise NotAPdf(f"the PDF's signatures cannot be read: {message_of(e)}") from e
    if not full_analysis:
        _judge_signing_revisions(r, sigs)
    outcomes = run_coroutine(_validate_all(sigs, list(trust_roots), evidence, at, online))
    signed_revs = {rev for s in sigs if (rev := _revision(s)) is not None}
    unsigned = unsigned_revisions(r, signed_revs, total)
    ts_revisions = []
    for t in doc_timestamps:
        try:
            ts_revisions.append((t.signed_revision, signature_timestamp_time(t)))
        except Exception:  # an unreadable document timestamp is reported as a change
            pass

    checks: list[SignatureCheck] = []
    for s, outcome in zip(sigs, outcomes, strict=True):
        checks.append(_check(r, s, outcome, total, evidence, signatories, step_of, n_parafs, len(pdf), unsigned,
                             later_doc_ts=any(rev > (_revision(s) or 0) for rev, _ in ts_revisions)))

    checks.sort(key=lambda c: (c.revision is None, c.revision or 0))
    # route order: the signed steps, in revision order, must be 0, 1, 2, ...
    order = [c.index for c in checks if c.field in step_of]
    if order != list(range(len(order))):
        signed_names = [c.field for c in checks if c.field in step_of]
        report_problems.append(
            "signatures were not made in the route's order: " + " -> ".join(signed_names)
        )
    signed = {c.field for c in checks}
    missing = [n for n in route_fields if n not in signed]
    for n in missing:
        parsed = parse_field_name(n)
        what = "TTE" if parsed and parsed.kind == "tte" else "paraf"
        report_problems.append(f"{what} {n} is not signed")
    if not checks and route_fields:
        report_problems.append("the document has no signatures")
    last = max(signed_revs, default=0)
    for rev, what in unsigned.items():
        where = "after the last signature" if rev > last else "between two signatures"
        report_problems.append(f"revision {rev + 1} changes the document without a signature ({where}): {what}")
    if any(rev > last for rev in unsigned):
        report_problems.append("the last signature does not cover the whole document: it was changed afterwards")
    for rev, where in javascript_by_revision(r).items():
        report_problems.append(f"revision {rev + 1} carries JavaScript (PDF/A forbids it; a viewer may run it "
                               f"on opening) at {', '.join(where)}")

    return VerificationReport(
        sha256=sha,
        route_fields=route_fields,
        signatures=checks,
        missing=missing,
        nomor=_text_field_value(r, NOMOR_FIELD),
        tanggal=_text_field_value(r, TANGGAL_FIELD),
        report_problems=report_problems,
        revisions=total,
        document_timestamps=[t for _, t in sorted(ts_revisions)],
    )


def signature_timestamp_time(sig) -> datetime:
    """The time in a document timestamp's token."""
    content = sig.signed_data["encap_content_info"]["content"].parsed
    return content["gen_time"].native


def _revision(s) -> int | None:
    try:
        return s.signed_revision
    except Exception:
        return None


def _check(r, s, outcome: _Outcome, total: int, evidence: Evidence, signatories, step_of, n_parafs,
           size: int, unsigned: dict[int, str], *, later_doc_ts: bool) -> SignatureCheck:
    name = s.field_name
    parsed = parse_field_name(name)
    kind = parsed.kind if parsed else None
    index = step_of.get(name)
    if kind == "tte":
        index = n_parafs
    oid = parsed.official_id if parsed else None
    try:
        cert = s.signer_cert
        signer_name, signer_nip, fp = certificate_name(cert), certificate_nip(cert), cert.sha256.hex()
        title = str(cert.subject.native.get("title", "") or "")
    except Exception:
        cert, signer_name, signer_nip, fp, title = None, "", "", "", ""
    revision = _revision(s)
    reason = None
    try:
        reason = str(s.sig_object.get("/Reason")) if "/Reason" in s.sig_object else None
    except Exception:
        pass
    exp = signatories.get(oid) if oid else None
    if kind == "paraf":
        route_role = f"paraf {(index or 0) + 1} of {n_parafs}"
    elif kind == "tte":
        route_role = "TTE"
    else:
        route_role = "outside the route"
    try:
        byte_range = [int(v) for v in s.byte_range]
    except Exception:
        byte_range = []
    changes = changes_after(r, revision, total)
    base = SignatureCheck(
        field=name, kind=kind, index=index, official_id=oid,
        signer_name=signer_name, signer_nip=signer_nip, signing_time=None,
        intact=False, trusted=False, expected_signer_ok=False,
        covers_whole_document=False, modification_level=None,
        revision=revision, reason=reason, signer_sha256=fp,
        route_role=route_role, role=exp.role if exp else "",
        signer_jabatan=title or (exp.jabatan if exp else ""),
        byte_range=byte_range, changes_after=changes,
        coverage=_coverage_text(revision, total, byte_range, size),
    )
    status = outcome.status
    if status is None:
        base.problems.append(f"the signature cannot be validated: {message_of(outcome.error)}")
        return base
    problems = base.problems
    base.intact = bool(status.intact and status.valid)
    base.trusted = bool(status.trusted)
    base.covers_whole_document = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    mod = status.modification_level
    base.modification_level = mod.name if mod is not None else None
    base.signing_time = status.signer_reported_dt
    tsv = status.timestamp_validity
    if tsv is not None:
        base.timestamp_time = tsv.timestamp
        stamp = signature_timestamp(s.signer_info)
        base.timestamp_authority = stamp.tsa if stamp else ""
    path = status.validation_path
    if path is not None:
        base.trust_path = [_cert_label(c) for c in path.iter_certs(include_root=True)]
        base.trust_root = base.trust_path[0] if base.trust_path else ""
    base.revocation = _revocation_text(outcome, path, evidence_for(s, evidence), cert)
    base.level = _level(outcome, later_doc_ts)

    if not base.intact:
        problems.append("the signature is not intact: the signed content was altered")
    if not base.trusted:
        problems.append(_trust_problem(outcome, cert))
    if tsv is not None:
        if not (tsv.intact and tsv.valid):
            problems.append("the timestamp does not match the signature")
        elif not tsv.trusted:
            problems.append(f"the timestamp of {base.timestamp_authority or 'its TSA'} is not trusted "
                            "(the TSA's certificate does not chain to the trust roots)")
    if parsed is None:
        problems.append("signature in a field outside the Naskah route")
    # expected signer
    if oid and exp is None:
        problems.append(f"no expected official {oid!r} is known to the verifier")
    elif exp is not None and cert is not None:
        if exp.certificate is not None:
            base.expected_signer_ok = exp.certificate.sha256 == cert.sha256
            if not base.expected_signer_ok:
                problems.append(
                    f"signed with a certificate other than {exp.name}'s registered one "
                    f"(signer: {signer_name or '?'}, NIP {signer_nip or '?'})"
                )
        else:
            base.expected_signer_ok = (
                signer_nip == nip_digits(exp.nip) and _norm_name(signer_name) == _norm_name(exp.name)
            )
            if not base.expected_signer_ok:
                problems.append(
                    f"signer {signer_name} (NIP {signer_nip}) is not the expected "
                    f"{exp.name} (NIP {nip_digits(exp.nip)})"
                )
    # changes after the signature
    offending = "; ".join(f"revision {rev + 1}: {what}" for rev, what in unsigned.items()
                          if revision is not None and rev > revision)
    if not base.covers_whole_document:
        if kind == "tte":
            if status.docmdp_ok is False or mod is None or mod > ModificationLevel.LTA_UPDATES:
                problems.append(
                    "the document was changed after the TTE (only validation data may follow it): "
                    + _diff_reason(status, offending))
        else:
            if status.docmdp_ok is False:
                problems.append("changes after this signature are not permitted: " + _diff_reason(status, offending))
            elif mod is None or mod > ModificationLevel.FORM_FILLING:
                problems.append(
                    "changes after this signature go beyond form filling "
                    f"({mod.name if mod is not None else 'unclear coverage'}): " + _diff_reason(status, offending)
                )
    return base


def _diff_reason(status: PdfSignatureStatus, offending: str) -> str:
    """The revisions that changed the letter without a signature, else pyHanko's finding."""
    if offending:
        return offending
    diff = status.diff_result
    if isinstance(diff, SuspiciousModification):
        return f"pyHanko: {str(diff).splitlines()[0]}"
    return f"modification level {status.modification_level.name if status.modification_level else 'unknown'}"


def _coverage_text(revision: int | None, total: int, byte_range: list[int], size: int | None) -> str:
    if revision is None:
        return "unknown"
    text = f"revision {revision + 1} of {total}"
    if len(byte_range) == 4:
        a, la, b, lb = byte_range
        text += f", bytes {a}-{a + la - 1} and {b}-{b + lb - 1}"
        if size is not None:
            text += f" of {size}" + (" (whole file)" if b + lb == size else "")
    return text
