"""What the revisions after a signature changed, held to what Naskah's signing may change.

One definition with two users:

* the validation gate after each signature (:mod:`.signing`) checks the revisions the new
  signature's call added;
* ``verify`` (:mod:`.validation`) judges a signature's later revisions here first, and only when
  every later revision is a plain Naskah signing revision does it skip pyHanko's difference
  analysis for that signature (:func:`signing_only`); anything else, and every B-LT letter
  (validation data in the document security store), goes to pyHanko's analysis as before.

The list is a strict subset of what pyHanko's standard policy accepts as form filling (its
``ROOT_EXEMPT_STRICT_COMPARISON``, ``ACROFORM_EXEMPT_STRICT_COMPARISON``, ``VALUE_UPDATE_KEYS`` and
the XMP well-formedness check), so a revision accepted here is one pyHanko accepts too;
``tests/test_revisions.py`` compares both on real letters. A revision accepted here: frees no
object; overwrites only the catalog (in ``/AcroForm``, ``/Extensions``, ``/Version``, ``/DSS``), the
document information, the XMP stream (still well-formed XMP), the form dictionary (in ``/DR``,
``/DA``, ``/Q``, ``/NeedAppearances``, and ``/Fields`` only by appending signature fields) and form
fields, widgets and their appearance streams (in ``/V``, ``/AP``, ``/AS``); everything else it adds
is new objects, which matter only through the overwritten objects that refer to them.
"""

from __future__ import annotations

import io

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.form_tools import enumerate_fields_in
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
from pyhanko.sign.diff_analysis.rules.metadata_rules import MetadataUpdateRule
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

CATALOG_KEYS = frozenset({"/AcroForm", "/Extensions", "/DSS", "/Version"})
ACROFORM_KEYS = frozenset({"/DR", "/DA", "/Q", "/NeedAppearances"})
FIELD_KEYS = frozenset({"/V", "/AP", "/AS"})


def _reachable(start, follow, limit: int = 5000) -> set[generic.Reference]:
    """References reachable from ``start``, going into the values ``follow(dictionary)`` names."""
    seen: set[generic.Reference] = set()
    todo = [start]
    while todo and len(seen) < limit:
        obj = todo.pop()
        if isinstance(obj, generic.IndirectObject):
            if obj.reference in seen:
                continue
            seen.add(obj.reference)
            obj = obj.get_object()
        if isinstance(obj, generic.DictionaryObject):
            todo.extend(follow(obj))
        elif isinstance(obj, generic.ArrayObject):
            todo.extend(obj.raw_get(i) for i in range(len(obj)))
    return seen


def _field_parts(d: generic.DictionaryObject) -> list:
    """A field's value, appearances (and their states) and kids (widgets, child fields)."""
    return [d.raw_get(k) for k in ("/V", "/AP", "/N", "/D", "/R", "/Kids") if k in d]


def form_field_objects(r: PdfFileReader) -> dict[str, set[generic.Reference]]:
    """Form field name -> references of the field, its widgets, their appearance streams and
    (for a signed field) its signature dictionary, as the newest revision sees them."""
    try:
        fields = r.root["/AcroForm"]["/Fields"]
    except KeyError:
        return {}
    out: dict[str, set[generic.Reference]] = {}
    for kind in ("/Sig", "/Tx", "/Btn", "/Ch"):
        for name, _value, field_ref in enumerate_fields_in(fields, refs_seen=set(), target_field_type=kind):
            out.setdefault(name, set()).update(_reachable(field_ref, _field_parts))
    return out


def touched_fields(r: PdfFileReader, revisions: range, fields: dict[str, set[generic.Reference]]) -> set[str]:
    """Names of the form fields whose objects ``revisions`` wrote."""
    changed = set().union(*(r.xrefs.explicit_refs_in_revision(n) for n in revisions))
    return {name for name, refs in fields.items() if refs & changed}


def lock_problem(sig: EmbeddedPdfSignature, touched: set[str]) -> str | None:
    """How changing the fields ``touched`` after ``sig`` breaks its locks, or None."""
    if sig.docmdp_level == MDPPerm.NO_CHANGES:
        return "it forbids every later change"
    if sig.field_name in touched:
        return "it rewrites that signature's field, widget, appearance or signature dictionary"
    lock = sig.fieldmdp
    locked = sorted(n for n in touched if lock is not None and lock.is_locked(n))
    if locked:
        return f"it changes {', '.join(locked)}, which that signature locks"
    return None


def _serialised(obj) -> bytes:
    out = io.BytesIO()
    obj.write_to_stream(out)
    return out.getvalue()


def _changed_keys(old, new) -> set[str]:
    keys = set(old) | set(new)
    return {k for k in keys
            if k not in old or k not in new or _serialised(old.raw_get(k)) != _serialised(new.raw_get(k))}


def revision_problem(r: PdfFileReader, n: int, field_refs: set[generic.Reference]) -> str | None:
    """What revision ``n`` changes beyond signing and filling fields (see the module doc), or None.

    ``field_refs``: the objects of the form fields (:func:`form_field_objects`); whose fields may
    change is the caller's question (:func:`lock_problem`).
    """
    xrefs = r.xrefs
    freed = xrefs.refs_freed_in_revision(n)
    if freed:
        return f"deletes object(s) {', '.join(str(f.idnum) for f in sorted(freed, key=lambda f: f.idnum))}"
    old, new = r.get_historical_resolver(n - 1), r.get_historical_resolver(n)
    root_ref = new.root_ref
    new_root = new(root_ref)
    metadata = new_root.raw_get("/Metadata") if "/Metadata" in new_root else None
    info = new.trailer_view.raw_get("/Info") if "/Info" in new.trailer_view else None
    dss = _reachable(new_root.raw_get("/DSS"), lambda d: [d.raw_get(k) for k in d]) if "/DSS" in new_root else set()
    acroform = new_root.raw_get("/AcroForm") if "/AcroForm" in new_root else None
    for ref in sorted(xrefs.explicit_refs_in_revision(n), key=lambda x: (x.idnum, x.generation)):
        if xrefs.get_introducing_revision(ref) == n or ref in dss:
            continue
        before, after = old(ref), new(ref)
        if isinstance(info, generic.IndirectObject) and ref == info.reference:
            continue
        if isinstance(metadata, generic.IndirectObject) and ref == metadata.reference:
            try:
                MetadataUpdateRule.is_well_formed_xml(metadata)
            except Exception as e:
                return f"the XMP metadata ({str(e).splitlines()[0]})"
            continue
        if ref in field_refs:
            if isinstance(after, generic.DictionaryObject) and not isinstance(after, generic.StreamObject):
                extra = _changed_keys(before, after) - FIELD_KEYS
                if extra:
                    return f"form field object {ref.idnum} in {', '.join(sorted(extra))}"
            continue
        if ref == root_ref:
            extra = _changed_keys(before, after) - CATALOG_KEYS
            if extra:
                return f"the document catalog in {', '.join(sorted(extra))}"
        elif isinstance(acroform, generic.IndirectObject) and ref == acroform.reference:
            extra = _changed_keys(before, after) - ACROFORM_KEYS
            if "/Fields" in extra:
                kept, added = before.get("/Fields", []), after.get("/Fields", [])
                if list(added[: len(kept)]) == list(kept) and all(
                        f.get_object().get("/FT") == "/Sig" for f in added[len(kept):]):
                    extra.discard("/Fields")
            if extra:
                return f"the form dictionary in {', '.join(sorted(extra))}"
        else:
            kind = after.get("/Type") if isinstance(after, generic.DictionaryObject) else None
            what = {"/Page": "a page", "/Pages": "the page tree", "/Font": "a font"}.get(kind, "")
            if not what:
                what = "a content or data stream" if isinstance(after, generic.StreamObject) else "an object"
            return f"{what} (object {ref.idnum} {ref.generation}), which signing must not touch"
    return None


def signing_only(r: PdfFileReader, sig: EmbeddedPdfSignature, sigs: list[EmbeddedPdfSignature],
                 fields: dict[str, set[generic.Reference]]) -> DiffResult | None:
    """pyHanko's verdict on what followed ``sig``, when every later revision is a Naskah signing
    revision this module accepts: each adds one of ``sigs``, none touches the document security
    store, and ``sig``'s own objects and locks are respected. None: let pyHanko analyse it."""
    total = r.xrefs.total_revisions
    later = range(sig.signed_revision + 1, total)
    if not later:
        return None
    signing_revisions = {s.signed_revision for s in sigs}
    if any(n not in signing_revisions for n in later):
        return None
    if "/DSS" in r.root:
        return None
    touched = touched_fields(r, later, fields)
    if lock_problem(sig, touched) is not None:
        return None
    field_refs = set().union(*fields.values()) if fields else set()
    if any(revision_problem(r, n, field_refs) is not None for n in later):
        return None
    return DiffResult(ModificationLevel.FORM_FILLING, changed_form_fields=touched)
