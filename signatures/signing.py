"""Prepare a letter PDF for its route, then add paraf and TTE signatures.

* :func:`prepare` adds, in one incremental update, the empty text fields ``naskah_nomor``
  and ``naskah_tanggal`` and one signature field per route step, placed at the PDF's named
  destinations (LibreOffice exports the template's Word bookmarks as named destinations).
* :func:`sign_paraf` signs one paraf field (approval signature locking its own field).
* :func:`sign_tte` fills number and date and signs the TTE field with a visible stamp in the
  same revision; the TTE field's lock forbids every later change.

Each signing call ends with a validation gate: the output is re-read, every signature in it
must be cryptographically intact, the signatures must follow the route's order, the new
signature must cover the whole file and carry the expected signer's certificate (and, at B-T
or B-LT, its timestamp and embedded revocation data must hold). Otherwise
:class:`SigningFailed` is raised and nothing is returned.

The PAdES level (B-B, B-T, B-LT) comes from a :class:`~signatures.ltv.SignaturePolicy`;
B-B, the default, does no network and no extra work.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.content import RawContent
from pyhanko.pdf_utils.form_tools import populate_static_text_field
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.metadata.model import VENDOR as PYHANKO_VENDOR
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import (
    FieldMDPAction,
    FieldMDPSpec,
    MDPPerm,
    SigFieldSpec,
    SigSeedSubFilter,
    append_signature_field,
    enumerate_sig_fields,
)
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.validation.generic_cms import validate_sig_integrity
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from .appearance import (
    PARAF_LINE,
    PARAF_ROW_HEIGHT,
    TextWriter,
    SharedFont,
    StampSettings,
    TteStampStyle,
    find_font,
    format_when,
    paraf_style,
    paraf_table_boxes,
    text_field_style,
    tte_style,
)
from . import destinations, revisions
from .changes import javascript_by_revision
from .destinations import PageBox
from .errors import (
    CarriesJavaScript,
    NotANaskahDocument,
    NotAPdf,
    OutOfOrder,
    RouteMismatch,
    SignatureError,
    SigningFailed,
    WrongSigner,
    message_of,
)
from .keys import KeySource
from .ltv import (
    B_B,
    Evidence,
    SignaturePolicy,
    check_usable,
    evidence_for,
    explain_signing_failure,
    signature_timestamp,
    verification_context,
)
from .route import Route, RouteStep, Signatory, nip_digits, parse_field_name

NOMOR_FIELD = "naskah_nomor"
TANGGAL_FIELD = "naskah_tanggal"
DEST_NOMOR = "naskah_nomor"
DEST_TANGGAL = "naskah_tanggal"
DEST_TTD = "naskah_ttd"
DEST_PARAF = "naskah_paraf"

TTE_BOX = (250.0, 90.0)
PARAF_GAP = 6.0
PAGE_MARGIN = 18.0


# --- reading ---------------------------------------------------------------------------


def _looks_like_pdf(pdf: bytes) -> bool:
    return isinstance(pdf, (bytes, bytearray, memoryview)) and b"%PDF-" in bytes(pdf[:1024])


def read_pdf(pdf: bytes) -> PdfFileReader:
    """A pyHanko reader on ``pdf``; NotAPdf for garbage or truncated input."""
    if not _looks_like_pdf(pdf):
        raise NotAPdf("not a PDF file (no %PDF- header)")
    if b"%%EOF" not in bytes(pdf[-1024:]):
        raise NotAPdf("the PDF is truncated (no %%EOF marker at the end)")
    try:
        r = PdfFileReader(io.BytesIO(bytes(pdf)))
        r.root  # noqa: B018 - force parsing of the trailer and catalog
        r.root["/Pages"]
        if r.encrypted:
            raise NotAPdf("encrypted PDFs are not supported")
    except NotAPdf:
        raise
    except Exception as e:  # pyHanko raises several kinds on broken files
        raise NotAPdf(f"the PDF cannot be read: {message_of(e)}") from e
    return r


def refuse_javascript(r: PdfFileReader) -> None:
    """CarriesJavaScript if any revision holds a JavaScript action: PDF/A forbids them, and a
    signed letter must not run code when it is opened (verify would call it INVALID)."""
    found = javascript_by_revision(r)
    if found:
        where = "; ".join(f"revision {rev + 1}: {', '.join(paths)}" for rev, paths in found.items())
        raise CarriesJavaScript(
            f"the PDF carries JavaScript ({where}); PDF/A forbids it and a letter is not signed with "
            "code that runs on opening: make the PDF again from its DOCX")


def signature_fields(r: PdfFileReader) -> dict[str, bool]:
    """Signature field name -> signed?"""
    out: dict[str, bool] = {}
    try:
        for name, value, _ref in enumerate_sig_fields(r, filled_status=None):
            out[name] = value is not None
    except KeyError:
        pass
    return out


def _check_route_fields(route: Route, fields: dict[str, bool]) -> None:
    naskah = {n for n in fields if parse_field_name(n) is not None}
    if not naskah:
        raise NotANaskahDocument(
            "the PDF has no Naskah signature fields (run prepare() on it first)"
        )
    expected = set(route.field_names())
    if naskah != expected:
        missing = sorted(expected - naskah)
        extra = sorted(naskah - expected)
        raise RouteMismatch(
            "the route does not match the PDF's signature fields"
            + (f"; not in the PDF: {', '.join(missing)}" if missing else "")
            + (f"; not in the route: {', '.join(extra)}" if extra else "")
        )


# --- named destinations ------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    page: int
    left: float
    top: float


def _dest_variants(name: str) -> set[str]:
    # LibreOffice writes "naskah_nomor" as the name "naskah5Fnomor" (hex of '_' without '#')
    return {name, name.replace("_", "5F"), name.replace("_", "#5F"), name.replace("_", "#5f")}


def read_layout(pdf: bytes | PdfFileReader) -> tuple[dict[str, Anchor], list[PageBox]]:
    """Named destinations of interest and the page boxes (crop boxes)."""
    r = pdf if isinstance(pdf, PdfFileReader) else read_pdf(pdf)
    try:
        pages, by_name = destinations.layout(r)
    except destinations.LayoutError as e:
        raise NotAPdf(f"the PDF cannot be read: {e}") from None
    anchors: dict[str, Anchor] = {}
    for wanted in (DEST_NOMOR, DEST_TANGGAL, DEST_TTD, DEST_PARAF):
        for variant in _dest_variants(wanted):
            dest = by_name.get(variant)
            if dest is None:
                continue
            pb = pages[dest.page]
            left = dest.left if dest.left is not None else pb.left + 72
            top = dest.top if dest.top is not None else pb.top - 72
            anchors[wanted] = Anchor(dest.page, float(left), float(top))
            break
    return anchors, pages


def _clamp_box(pb: PageBox, left: float, top: float, w: float, h: float) -> tuple[float, ...]:
    w = min(w, pb.right - pb.left - 2 * PAGE_MARGIN)
    h = min(h, pb.top - pb.bottom - 2 * PAGE_MARGIN)
    left = max(pb.left + PAGE_MARGIN, min(left, pb.right - PAGE_MARGIN - w))
    top = min(pb.top - PAGE_MARGIN, max(top, pb.bottom + PAGE_MARGIN + h))
    return (round(left, 2), round(top - h, 2), round(left + w, 2), round(top, 2))


def _paraf_table(
    anchors: dict[str, Anchor], pages: list[PageBox], tte_page: int, tte_box: tuple[float, ...], route: Route
) -> tuple[int, list[tuple[float, ...]]]:
    """(page, boxes): visible parafs as the rows of one paraf table, first paraf on top, boxes as (x0, y0, x1, y1).

    At the ``naskah_paraf`` anchor, ending before the TTE stamp when the stamp is to its right on
    the same page; without the anchor, under the TTE stamp. A table that would run off the
    page's bottom margin moves up as a whole (its rows never overlap one another); one that
    would then cover the stamp goes to the other side of it.
    """
    n = sum(s.kind == "paraf" for s in route.steps)
    pa = anchors.get(DEST_PARAF)
    if pa is not None:
        page, left, top = pa.page, pa.left, pa.top
        beside = page == tte_page and tte_box[0] > left
        right = tte_box[0] - PARAF_GAP if beside else pages[page].right - PAGE_MARGIN
    else:
        page, left, top, right = tte_page, tte_box[0], tte_box[1] - PARAF_GAP, tte_box[2]
    pb = pages[page]

    def table(left: float, top: float, right: float) -> list[tuple[float, ...]]:
        rows = paraf_table_boxes(n, left=left, top=top, right=right)
        if rows:
            short = pb.bottom + PAGE_MARGIN - (rows[-1][1] - rows[-1][3])
            if short > 0:
                rows = paraf_table_boxes(n, left=left, top=top + short, right=right)
        return [_clamp_box(pb, *row) for row in rows]

    def covers_stamp(boxes: list[tuple[float, ...]]) -> bool:
        x0, y0, x1, y1 = tte_box
        return page == tte_page and any(b[0] < x1 and b[2] > x0 and b[1] < y1 and b[3] > y0 for b in boxes)

    boxes = table(left, top, right)
    if covers_stamp(boxes):  # too little room beside the stamp, or pushed up into it: under it, else above it
        boxes = table(tte_box[0], tte_box[1] - PARAF_GAP, tte_box[2])
        if covers_stamp(boxes):
            height = n * (PARAF_ROW_HEIGHT - PARAF_LINE) + PARAF_LINE
            boxes = table(tte_box[0], tte_box[3] + PARAF_GAP + height, tte_box[2])
    return page, boxes


@dataclass(frozen=True)
class FieldPlan:
    name: str
    page: int
    box: tuple[float, float, float, float] | None


def plan_layout(
    anchors: dict[str, Anchor], pages: list[PageBox], route: Route, settings: StampSettings
) -> tuple[list[FieldPlan], list[FieldPlan]]:
    """(text fields, signature fields in route order) with their pages and boxes."""
    last = len(pages) - 1
    text: list[FieldPlan] = []
    size = settings.field_font_size
    for dest, fname in ((DEST_NOMOR, NOMOR_FIELD), (DEST_TANGGAL, TANGGAL_FIELD)):
        a = anchors.get(dest)
        if a is None:
            continue
        pb = pages[a.page]
        width = max(60.0, min(300.0, pb.right - PAGE_MARGIN - a.left))
        neighbour = anchors.get(DEST_TANGGAL) if dest == DEST_NOMOR else None
        if neighbour is not None and neighbour.page == a.page and abs(neighbour.top - a.top) < size and neighbour.left > a.left:
            # the place and date sit on the Nomor line: the nomor ends where they begin
            width = max(60.0, min(width, neighbour.left - a.left - 6))
        height = round(size * 1.3, 2)
        text.append(FieldPlan(fname, a.page, _clamp_box(pb, a.left, a.top, width, height)))

    tw, th = TTE_BOX
    a = anchors.get(DEST_TTD)
    if a is not None:
        tte_page = a.page
        tte_box = _clamp_box(pages[a.page], a.left, a.top, tw, th)
    else:  # bottom right of the last page
        pb = pages[last]
        tte_page = last
        tte_box = _clamp_box(pb, pb.right - 36 - tw, pb.bottom + 72 + th, tw, th)

    p_page, boxes = _paraf_table(anchors, pages, tte_page, tte_box, route)
    rows = iter(boxes)
    sigs: list[FieldPlan] = []
    for i, step in enumerate(route.steps):
        name = route.field_name(i)
        if step.kind == "tte":
            sigs.append(FieldPlan(name, tte_page, tte_box))
        elif settings.paraf_visible:
            sigs.append(FieldPlan(name, p_page, next(rows)))
        else:
            sigs.append(FieldPlan(name, p_page, None))
    return text, sigs


# --- prepare -------------------------------------------------------------------------------


def _acroform_fields(w: IncrementalPdfFileWriter):
    root = w.root
    try:
        form = root["/AcroForm"]
    except KeyError:
        form = generic.DictionaryObject({pdf_name("/Fields"): generic.ArrayObject()})
        root[pdf_name("/AcroForm")] = w.add_object(form)
        w.update_root()
        return form["/Fields"], False
    try:
        fields = form["/Fields"]
    except KeyError:
        fields = form[pdf_name("/Fields")] = generic.ArrayObject()
    return fields, True


def _add_text_field(w: IncrementalPdfFileWriter, plan: FieldPlan) -> None:
    page_ref = w.find_page_for_modification(plan.page)[0]
    llx, lly, urx, ury = plan.box
    ap = RawContent(b"", box=BoxConstraints(width=urx - llx, height=ury - lly)).as_form_xobject()
    field = generic.DictionaryObject(
        {
            pdf_name("/FT"): pdf_name("/Tx"),
            pdf_name("/T"): pdf_string(plan.name),
            pdf_name("/TU"): pdf_string(
                "Nomor naskah" if plan.name == NOMOR_FIELD else "Tanggal naskah"
            ),
            # read-only: only Naskah fills it (at TTE time, with its own appearance)
            pdf_name("/Ff"): generic.NumberObject(1),
            pdf_name("/Type"): pdf_name("/Annot"),
            pdf_name("/Subtype"): pdf_name("/Widget"),
            pdf_name("/F"): generic.NumberObject(4),  # print (PDF/A)
            pdf_name("/Rect"): generic.ArrayObject(
                [generic.FloatObject(v) for v in plan.box]
            ),
            pdf_name("/P"): page_ref,
            pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): w.add_object(ap)}),
        }
    )
    ref = w.add_object(field)
    fields, existed = _acroform_fields(w)
    fields.append(ref)
    if existed:
        w.update_container(fields)
    w.register_annotation(page_ref, ref)


def prepare(pdf: bytes, route: Route, settings: StampSettings) -> bytes:
    """Add the route's signature fields and the empty number/date fields (one revision)."""
    r = read_pdf(pdf)
    refuse_javascript(r)
    existing = signature_fields(r)
    if any(parse_field_name(n) for n in existing):
        raise SignatureError("the PDF already has Naskah signature fields (prepared before)")
    anchors, pages = read_layout(r)
    if not pages:
        raise NotAPdf("the PDF has no pages")
    text_plans, sig_plans = plan_layout(anchors, pages, route, settings)
    w = IncrementalPdfFileWriter.from_reader(r)
    for plan, step in zip(sig_plans, route.steps, strict=True):
        s = step.signatory
        if step.kind == "paraf":
            lock = FieldMDPSpec(FieldMDPAction.INCLUDE, [plan.name])
            docmdp = None
            label = f"Paraf {s.jabatan} ({s.name})"
        else:
            lock = FieldMDPSpec(FieldMDPAction.ALL)
            docmdp = MDPPerm.NO_CHANGES
            label = f"Tanda tangan elektronik {s.jabatan} ({s.name})"
        append_signature_field(
            w,
            SigFieldSpec(
                sig_field_name=plan.name,
                on_page=plan.page,
                box=plan.box,
                field_mdp_spec=lock,
                doc_mdp_update_value=docmdp,
                readable_field_name=label,
            ),
        )
    existing_text = set(_text_field_widths(r))
    for plan in text_plans:
        if plan.name in existing_text:
            continue
        _add_text_field(w, plan)
    _align_info_with_xmp(w)
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def _align_info_with_xmp(w: IncrementalPdfFileWriter) -> None:
    """PDF/A: an /Info entry must equal its XMP twin. pyHanko writes ``pdf:Producer`` = its VENDOR
    string into the XMP on every write, but appends "; VENDOR" to an /Info /Producer that does not
    contain it yet; set to VENDOR here, later revisions (parafs, TTE) keep it as it is. /ModDate
    goes: pyHanko would stamp it and ``xmp:ModifyDate`` from two clock readings (an absent /Info
    entry is fine for PDF/A, the XMP date stays)."""
    try:
        ref = w.trailer.raw_get("/Info")
        info = ref.get_object()
    except (KeyError, AttributeError):
        return  # no /Info: pyHanko writes the XMP only
    if not isinstance(info, generic.DictionaryObject):
        return
    info[pdf_name("/Producer")] = generic.TextStringObject(PYHANKO_VENDOR)
    info.pop("/ModDate", None)
    if isinstance(ref, generic.IndirectObject):
        w.mark_update(ref)
    else:  # a direct /Info (the standard wants a reference): written anew as an object
        w.set_info(info)


def _text_field_widths(r: PdfFileReader) -> dict[str, float]:
    """Width of each text field's widget, by field name."""
    try:
        fields = r.root["/AcroForm"]["/Fields"]
    except KeyError:
        return {}
    widths: dict[str, float] = {}
    for ref in fields:
        f = ref.get_object()
        if f.get("/FT") != "/Tx" or "/T" not in f:
            continue
        widget = f if "/Rect" in f else f["/Kids"][0].get_object()
        x1, _, x2, _ = (float(v) for v in widget["/Rect"])
        widths[str(f["/T"])] = abs(x2 - x1)
    return widths


def _fitting_size(font: SharedFont, writer: IncrementalPdfFileWriter, text: str, size: float, width: float) -> float:
    """The field font size, made smaller (down to 7 pt) when the text would overrun its field."""
    natural = TextWriter(font.create_font_engine(writer)).width(text, size)
    if natural <= width:
        return size
    return max(7.0, math.floor(size * width / natural * 2) / 2)


# --- signing -------------------------------------------------------------------------------


def _subject_value(cert: x509.Certificate, key: str) -> str:
    try:
        v = cert.subject.native.get(key)
    except Exception:
        return ""
    if isinstance(v, list):
        v = v[0] if v else ""
    return str(v or "")


def certificate_nip(cert: x509.Certificate) -> str:
    """NIP digits from the subject serialNumber (demo PKI and BSrE put the NIP there)."""
    return nip_digits(_subject_value(cert, "serial_number"))


def certificate_name(cert: x509.Certificate) -> str:
    return _subject_value(cert, "common_name")


def _check_signer(
    cert: x509.Certificate, signatory: Signatory, registered: x509.Certificate | None = None
) -> None:
    have = certificate_nip(cert)
    want = signatory.nip_digits
    if not want or have != want:
        raise WrongSigner(
            f"the key belongs to {certificate_name(cert) or 'an unknown holder'} "
            f"(NIP {have or 'none'}), not to {signatory.name} (NIP {want or 'none'})"
        )
    if registered is not None and registered.sha256 != cert.sha256:
        raise WrongSigner(
            f"the key's certificate (SHA-256 {cert.sha256.hex()[:16]}...) is not the one registered "
            f"for {signatory.name} in the office profile (SHA-256 {registered.sha256.hex()[:16]}...)"
        )


def estimate_bytes_reserved(key: KeySource) -> int:
    """Room for the CMS container without pyHanko's dry-run signature.

    pyHanko counts ``bytes_reserved`` in hex digits (two per DER byte).
    """
    signer = key.signer()
    certs = [key.certificate]
    try:
        certs += list(signer.cert_registry)
    except Exception:
        pass
    cert_bytes = sum(len(c.dump()) for c in certs)
    key_bytes = key.certificate.public_key.bit_size // 8
    der = cert_bytes + 2 * key_bytes + 2048
    return ((2 * der + 1023) // 1024) * 1024


def _aware(when: datetime | None) -> datetime:
    if when is None:
        return datetime.now().astimezone()
    if when.tzinfo is None:
        return when.astimezone()
    return when


async def _async_sign(
    w, pdf_signer: PdfSigner, when: datetime, bytes_reserved: int, policy: SignaturePolicy
) -> bytes:
    context = pdf_signer.signature_meta.validation_context
    try:
        session = pdf_signer.init_signing_session(w, existing_fields_only=True)
        session.system_time = when
        # B-LT: validates the signer (revocation fetched, a revoked certificate fails here)
        validation_info = await session.perform_presign_validation(w)
        bytes_reserved += await policy.timestamp_room(session.md_algorithm)
        tbs = session.prepare_tbs_document(
            validation_info=validation_info, bytes_reserved=bytes_reserved
        )
        prepared, output = tbs.digest_tbs_document()
        post = await tbs.perform_signature(
            document_digest=prepared.document_digest,
            pdf_cms_signed_attrs=PdfCMSSignedAttributes(signing_time=when),
        )
        await post.post_signature_processing(output)
        return bytes(output.getbuffer())
    finally:
        if context is not None:
            await context.aclose()


class _Boxed:
    """A coroutine's result behind a constant repr (see :func:`run_coroutine`)."""

    __slots__ = ("value",)

    def __repr__(self) -> str:
        return "<result>"


async def _boxed(coro) -> _Boxed:
    box = _Boxed()
    box.value = await coro
    return box


def run_coroutine(coro):
    """asyncio.run(), also when called from a thread that already runs an event loop
    (e.g. inside an async web handler): then the coroutine runs in a worker thread.

    The result comes back in a box: in the main thread, CPython 3.11's asyncio.run looks up the
    SIGINT handler when it ends, and that formats the repr of the main task, result included. For
    a signed PDF that is a repr of every byte of it, twice per signature (about 1 ms).
    """
    try:
        asyncio.get_running_loop()
        running = True
    except RuntimeError:
        running = False
    if not running:  # outside the except block: errors do not chain to the RuntimeError
        return asyncio.run(_boxed(coro)).value
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _boxed(coro)).result().value


def _run_signing(
    w, key: KeySource, style, when: datetime, policy: SignaturePolicy, **meta_options
) -> bytes:
    """Sign with pyHanko; B-B does no network and no extra work."""
    context = policy.signing_context()
    meta = PdfSignatureMetadata(
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        **meta_options,
        **policy.metadata_options(context),
    )
    pdf_signer = PdfSigner(meta, key.signer(), stamp_style=style, timestamper=policy.timestamper())
    try:
        return run_coroutine(
            _async_sign(w, pdf_signer, when, estimate_bytes_reserved(key), policy)
        )
    except SignatureError:
        raise
    except Exception as e:
        raise explain_signing_failure(e, policy, meta.field_name or "the field") from e


def _reason(step: RouteStep) -> str:
    s = step.signatory
    if step.kind == "paraf":
        return f"Paraf oleh {s.jabatan} ({s.name} - NIP. {s.nip})"
    return f"Ditandatangani secara elektronik oleh {s.jabatan} ({s.name} - NIP. {s.nip})"


def _prepare_step(
    pdf: bytes, route: Route, index: int, key: KeySource, registered: x509.Certificate | None
):
    r = read_pdf(pdf)
    refuse_javascript(r)
    fields = signature_fields(r)
    _check_route_fields(route, fields)
    signed = [n for n, done in fields.items() if done]
    nxt = route.next_index(signed)
    name = route.field_name(index)
    if fields.get(name):
        raise OutOfOrder(f"{name} is already signed")
    if nxt != index:
        assert nxt is not None
        raise OutOfOrder(
            f"{name} cannot be signed yet: {route.field_name(nxt)} (step {nxt + 1} of "
            f"{len(route.steps)}) is not signed"
        )
    step = route.steps[index]
    _check_signer(key.certificate, step.signatory, registered)
    check_usable(key.certificate)
    return r, step, name


def sign_paraf(
    pdf: bytes,
    route: Route,
    index: int,
    key: KeySource,
    settings: StampSettings,
    *,
    when: datetime | None = None,
    policy: SignaturePolicy = B_B,
    registered: x509.Certificate | None = None,
) -> bytes:
    """Sign the paraf of route step ``index`` (0-based: step 0 is ``Paraf_1_<id>``).

    ``policy`` gives the PAdES level (B-B default); ``registered`` is the certificate the
    office profile registers for the official (the key's certificate must be that one).
    """
    if not 0 <= index < len(route.steps):
        raise IndexError(f"the route has {len(route.steps)} steps, no step {index}")
    if route.steps[index].kind != "paraf":
        raise ValueError(f"step {index} of the route is the TTE; use sign_tte()")
    r, step, name = _prepare_step(pdf, route, index, key, registered)
    when = _aware(when)
    w = IncrementalPdfFileWriter.from_reader(r)
    style = None
    if settings.paraf_visible:
        texts = (step.signatory.name, step.signatory.jabatan, f"Paraf {format_when(when)}")
        style = paraf_style(SharedFont(find_font(settings), texts), step.signatory, when)
    out = _run_signing(
        w, key, style or paraf_style(None, step.signatory, when), when, policy,
        field_name=name, reason=_reason(step),
    )
    validation_gate(out, name, key.certificate, route=route, policy=policy)
    return out


def sign_tte(
    pdf: bytes,
    route: Route,
    key: KeySource,
    settings: StampSettings,
    *,
    nomor: str,
    tanggal: str,
    verification_ref: str,
    when: datetime | None = None,
    policy: SignaturePolicy = B_B,
    registered: x509.Certificate | None = None,
) -> bytes:
    """Fill number and date and sign the TTE with its visible stamp, in one revision.

    The TTE locks the document (DocMDP P=1, FieldMDP all); with B-LT its revocation data
    is in the same revision, so the TTE still covers the whole file.
    """
    if not nomor.strip():
        raise ValueError("nomor is empty")
    index = route.tte_index
    r, step, name = _prepare_step(pdf, route, index, key, registered)
    when = _aware(when)
    w = IncrementalPdfFileWriter.from_reader(r)
    s = step.signatory
    font = SharedFont(find_font(settings), (nomor, tanggal, s.name, s.jabatan, s.nip, settings.footer,
                                            TteStampStyle.heading, "NIP."))
    widths = _text_field_widths(r)
    try:
        for fname, value in ((NOMOR_FIELD, nomor), (TANGGAL_FIELD, tanggal)):
            if fname in widths:
                size = _fitting_size(font, w, value, settings.field_font_size, widths[fname])
                populate_static_text_field(w, fname, text_field_style(font, size), value)
    except Exception as e:
        raise SigningFailed(f"cannot fill the number/date fields: {message_of(e)}") from e
    style = tte_style(font, step.signatory, settings, settings.verification_url(verification_ref))
    out = _run_signing(
        w, key, style, when, policy,
        field_name=name, reason=_reason(step), docmdp_permissions=MDPPerm.NO_CHANGES,
    )
    validation_gate(out, name, key.certificate, route=route, policy=policy)
    return out


# --- validation gate --------------------------------------------------------------------


class _IntactSignatures:
    """Signatures this process has found cryptographically intact, by the digest of their CMS
    and the digest of the bytes they cover (a small LRU).

    Whether a signature is intact depends on nothing else: the CMS carries the signed attributes,
    the signature value and the certificate, the document digest is computed afresh from the
    file each time. The gate after paraf 3 so checks paraf 1 and 2 by hashing only, as the gates
    after them did the public-key work (about a third of a gate: the CMS's certificate lookup and
    name comparison are slow in pure Python). Only good verdicts are kept.
    """

    KEPT = 1024

    def __init__(self) -> None:
        self._kept: OrderedDict[bytes, None] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(cms: bytes, digest: bytes) -> bytes:
        return hashlib.sha256(hashlib.sha256(cms).digest() + digest).digest()

    def known(self, cms: bytes, digest: bytes) -> bool:
        key = self._key(cms, digest)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return True
        return False

    def remember(self, cms: bytes, digest: bytes) -> None:
        key = self._key(cms, digest)
        with self._lock:
            self._kept[key] = None
            while len(self._kept) > self.KEPT:
                self._kept.popitem(last=False)


_INTACT = _IntactSignatures()


def validation_gate(
    pdf: bytes,
    new_field: str,
    expected_cert: x509.Certificate,
    *,
    route: Route | None = None,
    policy: SignaturePolicy = B_B,
) -> None:
    """The gate after each signature (raises SigningFailed; the caller keeps nothing).

    Every signature is cryptographically intact; the revisions added since the signature
    before the newest are form filling/signing only (pyHanko difference analysis, that
    signature's locks respected) and touch no earlier signature's field, widget, appearance
    or signature dictionary, and nothing was signed after a signature that forbids all
    changes (see :func:`_gate_new_revisions`); the signed route fields follow the route's
    order; the newest signature is in ``new_field``, carries ``expected_cert`` and covers the
    whole file. B-T: its timestamp token is intact and trusted. B-LT: it validates offline,
    revocation checked from the file's own data.
    """
    try:
        r = PdfFileReader(io.BytesIO(pdf))
        sigs: list[EmbeddedPdfSignature] = list(r.embedded_regular_signatures)
    except Exception as e:
        raise SigningFailed(f"the signed PDF cannot be read back: {message_of(e)}") from e
    if not sigs:
        raise SigningFailed("the signed PDF has no signatures")
    for s in sigs:
        try:
            digest = s.compute_digest()
            if _INTACT.known(s.pkcs7_content, digest):
                continue
            intact, valid = validate_sig_integrity(s.signer_info, s.signer_cert, "data", digest)
        except Exception as e:
            raise SigningFailed(f"signature {s.field_name} cannot be checked: {message_of(e)}") from e
        if not (intact and valid):
            raise SigningFailed(f"signature {s.field_name} is not intact after signing")
        _INTACT.remember(s.pkcs7_content, digest)
    if len(sigs) > 1:
        _gate_new_revisions(r, sigs)
    newest = sigs[-1]
    if newest.field_name != new_field:
        raise SigningFailed(
            f"the newest signature is in {newest.field_name}, expected {new_field}"
        )
    if route is not None:
        order = [s.field_name for s in sigs if route.index_of_field(s.field_name) is not None]
        if order != route.field_names()[: len(order)]:
            raise SigningFailed("the signatures would not follow the route's order: " + " -> ".join(order))
    if newest.signer_cert.sha256 != expected_cert.sha256:
        raise SigningFailed(f"signature {new_field} does not carry the signer's certificate")
    if newest.evaluate_signature_coverage() != SignatureCoverageLevel.ENTIRE_FILE:
        raise SigningFailed(f"signature {new_field} does not cover the whole file")
    if policy.timestamped:
        run_coroutine(_gate_level(r, newest, policy))


def _gate_new_revisions(r: PdfFileReader, sigs: list[EmbeddedPdfSignature]) -> None:
    """Only what the newest signature's call added is checked: the revisions after the signature
    before it (the newest revision, plus any unsigned one between, e.g. a DSS update).

    The revisions before that were checked by the gates that accepted the earlier signatures.
    Each new revision is held to what signing may change (:mod:`.revisions`, a strict subset of
    pyHanko's "form filling"), and the locks of every earlier signature are enforced: their objects
    stay untouched, and no signature follows one whose DocMDP forbids all changes.
    """
    prev = sigs[-2]
    new_revisions = range(prev.signed_revision + 1, r.xrefs.total_revisions)
    fields = revisions.form_field_objects(r)
    touched = revisions.touched_fields(r, new_revisions, fields)
    for s in sigs[:-1]:
        problem = revisions.lock_problem(s, touched)
        if problem:
            raise SigningFailed(f"the new revision would invalidate {s.field_name}: {problem}")
    field_refs = set().union(*fields.values()) if fields else set()
    for n in new_revisions:
        problem = revisions.revision_problem(r, n, field_refs)
        if problem:
            raise SigningFailed(f"the new revision would invalidate {prev.field_name} (changes: {problem})")


async def _gate_level(r: PdfFileReader, sig: EmbeddedPdfSignature, policy: SignaturePolicy) -> None:
    """B-T: the timestamp holds; B-LT: the signature validates offline with revocation checked."""
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.generic_cms import message_imprint_checker, validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus

    name = sig.field_name
    stamp = signature_timestamp(sig.signer_info)
    if stamp is None:
        raise SigningFailed(f"signature {name} carries no timestamp although the office signs at {policy.level}")
    mode = "require" if policy.embeds_revocation else "soft-fail"
    context = verification_context(policy.trust_roots, evidence_for(sig, Evidence.of_document(r)),
                                   extra_certs=sig.other_embedded_certs, moment=stamp.time, revocation=mode)
    try:
        if not policy.embeds_revocation:
            ts = TimestampSignatureStatus(**await validate_tst_signed_data(
                stamp.signed_data, context, message_imprint_checker(sig.signer_info)))
            if not (ts.intact and ts.valid):
                raise SigningFailed(f"the timestamp of {name} does not match the signature")
            if policy.trust_roots and not ts.trusted:
                raise SigningFailed(
                    f"the timestamp of {name} comes from {stamp.tsa or 'a TSA'} whose certificate does not "
                    "chain to the office's trust roots: add the TSA's root to signing.trust_roots")
            return
        status = await async_validate_pdf_signature(sig, signer_validation_context=context, skip_diff=True)
    finally:
        await context.aclose()
    if not status.trusted:
        why = status.trust_problem_indic.name if status.trust_problem_indic else "no trusted path"
        raise SigningFailed(f"signature {name} would not validate offline with its embedded revocation data ({why})")
    if status.timestamp_validity is None or not status.timestamp_validity.trusted:
        raise SigningFailed(f"the timestamp of {name} would not validate offline with its embedded data")


def signed_field_names(pdf: bytes) -> list[str]:
    """Names of the signed signature fields (any order)."""
    return [n for n, done in signature_fields(read_pdf(pdf)).items() if done]


__all__: Iterable[str] = [
    "prepare",
    "sign_paraf",
    "sign_tte",
    "read_layout",
    "plan_layout",
    "validation_gate",
    "estimate_bytes_reserved",
    "signed_field_names",
    "certificate_nip",
    "certificate_name",
]
