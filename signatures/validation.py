"""Verify a Naskah letter: every route signature present, intact, trusted, in order.

The route is read from the signature field names in the PDF (``Paraf_<i>_<official>`` and
``TTE_<official>``); the expected signatories come from the caller (the office profile).
pyHanko does the cryptography, the trust path (to ``trust_roots`` only, no fetching) and the
difference analysis of later revisions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import x509
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from .errors import NotAPdf
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


@dataclass(frozen=True)
class ExpectedSignatory:
    official_id: str
    name: str
    nip: str
    jabatan: str
    certificate: x509.Certificate | None = None
    """If given, the signer certificate must be exactly this one (SHA-256 fingerprint)."""


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
    """pyHanko's level of the changes made after this signature (NONE, FORM_FILLING, ...)."""
    revision: int | None = None
    reason: str | None = None
    signer_sha256: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "kind": self.kind,
            "index": self.index,
            "official_id": self.official_id,
            "signer_name": self.signer_name,
            "signer_nip": self.signer_nip,
            "signer_sha256": self.signer_sha256,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "reason": self.reason,
            "revision": self.revision,
            "intact": self.intact,
            "trusted": self.trusted,
            "expected_signer_ok": self.expected_signer_ok,
            "covers_whole_document": self.covers_whole_document,
            "modification_level": self.modification_level,
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
    """Problems of the document as a whole (missing steps, order, route structure)."""

    @property
    def problems(self) -> list[str]:
        out = list(self.report_problems)
        for s in self.signatures:
            out += [f"{s.field}: {p}" for p in s.problems]
        return out

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "verdict": "VALID" if self.ok else "INVALID",
            "sha256": self.sha256,
            "nomor": self.nomor,
            "tanggal": self.tanggal,
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
        for n, s in enumerate(self.signatures, 1):
            if s.kind == "paraf":
                title = f"Paraf {s.index + 1 if s.index is not None else '?'}"
            elif s.kind == "tte":
                title = "TTE (tanda tangan elektronik)"
            else:
                title = "Signature outside the route"
            when = s.signing_time.isoformat(sep=" ", timespec="seconds") if s.signing_time else "unknown"
            lines += [
                "",
                f"[{n}] {title} - field {s.field}",
                f"    Signer (penanda tangan) : {s.signer_name or '?'} (NIP. {s.signer_nip or '?'})",
                f"    Signing time            : {when}",
                f"    Intact (utuh)           : {yn[s.intact]}",
                f"    Trusted (terpercaya)    : {yn[s.trusted]}",
                f"    Expected official       : {yn[s.expected_signer_ok]}",
                f"    Covers whole document   : {'yes' if s.covers_whole_document else 'no'}",
                f"    Changes after signing   : {s.modification_level or 'not analysed'}",
                f"    Result                  : {'OK' if s.ok else 'PROBLEM'}",
            ]
            lines += [f"      - {p}" for p in s.problems]
        if self.missing:
            lines += ["", "Not signed yet (belum ditandatangani): " + ", ".join(self.missing)]
        if self.report_problems:
            lines += ["", "Document problems:"] + [f"  - {p}" for p in self.report_problems]
        lines += ["", f"Verdict: {'VALID' if self.ok else 'INVALID'}"]
        return "\n".join(lines)


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


async def _validate_all(sigs, vc: ValidationContext):
    out = []
    for s in sigs:
        try:
            status = await async_validate_pdf_signature(s, signer_validation_context=vc)
            out.append((status, None))
        except Exception as e:  # a broken signature must not abort the whole report
            out.append((None, e))
    return out


def verify_pdf(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    signatories: Mapping[str, ExpectedSignatory],
    at: datetime | None = None,
) -> VerificationReport:
    """Check every signature of a Naskah letter against the route in its field names."""
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
    except Exception as e:
        raise NotAPdf(f"the PDF's signatures cannot be read: {e}") from e
    vc = ValidationContext(
        trust_roots=list(trust_roots),
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=at,
        best_signature_time=at,
    )
    results = run_coroutine(_validate_all(sigs, vc))

    checks: list[SignatureCheck] = []
    for s, (status, error) in zip(sigs, results, strict=True):
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
        except Exception:
            cert, signer_name, signer_nip, fp = None, "", "", ""
        problems: list[str] = []
        try:
            revision = s.signed_revision
        except Exception:
            revision = None
        reason = None
        try:
            reason = str(s.sig_object.get("/Reason")) if "/Reason" in s.sig_object else None
        except Exception:
            pass
        if status is None:
            check = SignatureCheck(
                field=name, kind=kind, index=index, official_id=oid,
                signer_name=signer_name, signer_nip=signer_nip, signing_time=None,
                intact=False, trusted=False, expected_signer_ok=False,
                covers_whole_document=False, modification_level=None,
                revision=revision, reason=reason, signer_sha256=fp,
                problems=[f"the signature cannot be validated: {error}"],
            )
            checks.append(check)
            continue
        intact = bool(status.intact and status.valid)
        trusted = bool(status.trusted)
        covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        mod = status.modification_level
        signing_time = status.signer_reported_dt
        if not intact:
            problems.append("the signature is not intact: the signed content was altered")
        if not trusted:
            if status.revoked:
                problems.append("the signer's certificate is revoked")
            else:
                problems.append(
                    "the signer's certificate is not trusted (no valid path to the trust roots)"
                )
        if parsed is None:
            problems.append("signature in a field outside the Naskah route")
        # expected signer
        expected_ok = False
        exp = signatories.get(oid) if oid else None
        if oid and exp is None:
            problems.append(f"no expected official {oid!r} is known to the verifier")
        elif exp is not None and cert is not None:
            if exp.certificate is not None:
                expected_ok = exp.certificate.sha256 == cert.sha256
                if not expected_ok:
                    problems.append(
                        f"signed with a certificate other than {exp.name}'s registered one"
                    )
            else:
                expected_ok = (
                    signer_nip == nip_digits(exp.nip)
                    and _norm_name(signer_name) == _norm_name(exp.name)
                )
                if not expected_ok:
                    problems.append(
                        f"signer {signer_name} (NIP {signer_nip}) is not the expected "
                        f"{exp.name} (NIP {nip_digits(exp.nip)})"
                    )
        # changes after the signature
        if kind == "tte" and not covers:
            problems.append("the document was changed after the TTE (it must be the last revision)")
        elif not covers:
            if status.docmdp_ok is False:
                problems.append("changes after this signature break its lock (DocMDP/FieldMDP)")
            if mod is None or mod > ModificationLevel.FORM_FILLING:
                problems.append(
                    "changes after this signature go beyond form filling "
                    f"({mod.name if mod is not None else 'unclear coverage'})"
                )
        checks.append(
            SignatureCheck(
                field=name, kind=kind, index=index, official_id=oid,
                signer_name=signer_name, signer_nip=signer_nip, signing_time=signing_time,
                intact=intact, trusted=trusted, expected_signer_ok=expected_ok,
                covers_whole_document=covers,
                modification_level=mod.name if mod is not None else None,
                revision=revision, reason=reason, signer_sha256=fp, problems=problems,
            )
        )

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
    if checks and not checks[-1].covers_whole_document:
        report_problems.append("the last signature does not cover the whole document")
    if not checks and route_fields:
        report_problems.append("the document has no signatures")

    return VerificationReport(
        sha256=sha,
        route_fields=route_fields,
        signatures=checks,
        missing=missing,
        nomor=_text_field_value(r, NOMOR_FIELD),
        tanggal=_text_field_value(r, TANGGAL_FIELD),
        report_problems=report_problems,
    )
