"""What the revisions of a PDF change and carry: one line per change for the verification report.

A signed letter grows by incremental updates (revisions): each paraf, the TTE, validation data.
:func:`describe_revision` says in words what one revision changed compared with the one before
(signatures, form fields, page content, annotations, validation data, JavaScript);
:func:`revision_level` is pyHanko's judgement of it; :func:`unsigned_revisions` lists the
revisions that change the letter without a signature; :func:`javascript_in` finds JavaScript
actions reachable from a revision's catalog (PDF/A forbids them: a viewer may run them on opening).
"""

from __future__ import annotations

import re

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel, SuspiciousModification

from .errors import message_of


def _key(obj) -> tuple[int, int] | None:
    ref = getattr(obj, "reference", obj)
    try:
        return (ref.idnum, ref.generation)
    except AttributeError:
        return None


def _get(d, key: str):
    """``d[key]`` dereferenced, or None (``dict.get`` would return the raw reference)."""
    try:
        return d[key] if key in d else None
    except Exception:
        return None


def _fields_at(h) -> dict[str, tuple[str, str]]:
    """Terminal form fields at one revision: name -> (field type, value as text)."""
    out: dict[str, tuple[str, str]] = {}
    top = _get(_get(h.root, "/AcroForm") or {}, "/Fields") or []
    stack = [(ref, "", None) for ref in reversed(top)]  # popped in the form's order
    while stack:
        ref, prefix, inherited_ft = stack.pop()
        f = ref.get_object()
        name = prefix + str(_get(f, "/T") or "")
        ft = str(_get(f, "/FT") or inherited_ft or "")
        kids = _get(f, "/Kids")
        if kids and any("/T" in k.get_object() for k in kids):
            stack += [(k, name + ".", ft) for k in reversed(kids)]
            continue
        v = _get(f, "/V")
        if ft == "/Sig":
            value = "" if v is None else ("timestamp" if _get(v, "/Type") == "/DocTimeStamp" else "signed")
        else:
            value = "" if v is None else str(v)
        out[name] = (ft, value)
    return out


def _refs(obj) -> list[tuple[int, int]]:
    """References of a page's /Contents or /Annots entry (an array, or one reference)."""
    if isinstance(obj, generic.IndirectObject):
        target = obj.get_object()
        if not isinstance(target, generic.ArrayObject):
            return [k] if (k := _key(obj)) else []
        obj = target
    if isinstance(obj, generic.ArrayObject):
        return [k for i in range(len(obj)) if (k := _key(obj.raw_get(i)))]
    return []


def _entry(d: generic.DictionaryObject, key: str):
    return d.raw_get(key) if key in d else None


def _pages_at(h) -> list[generic.DictionaryObject]:
    pages: list = []
    stack = [h.root["/Pages"]]
    while stack:
        node = stack.pop()
        if _get(node, "/Type") == "/Pages" or "/Kids" in node:
            stack += [k.get_object() for k in reversed(node["/Kids"])]
        else:
            pages.append(node)
    return pages


def describe_revision(r: PdfFileReader, revision: int) -> list[str]:
    """What ``revision`` changed compared with the one before, in words (never raises)."""
    try:
        return _describe(r, revision)
    except Exception as e:  # a damaged revision still gets a line in the report
        return [f"changes that cannot be read ({type(e).__name__}: {e})"]


def _describe(r: PdfFileReader, revision: int) -> list[str]:
    old, new = r.get_historical_resolver(revision - 1), r.get_historical_resolver(revision)
    changed = {(ref.idnum, ref.generation) for ref in new.explicit_refs_in_revision()}
    out: list[str] = []
    before, after = _fields_at(old), _fields_at(new)
    for name, (ft, value) in after.items():
        was = before.get(name)
        if ft == "/Sig":
            if value and (was is None or not was[1]):
                out.append(f"document timestamp {name}" if value == "timestamp" else f"signature {name}")
            elif was is None:
                out.append(f"empty signature field {name} added")
        elif was is None:
            out.append(f"form field {name} added" + (f" = {value!r}" if value else ""))
        elif was[1] != value:
            out.append(f"form field {name} = {value!r}" + (f" (was {was[1]!r})" if was[1] else ""))
    try:
        old_pages, new_pages = _pages_at(old), _pages_at(new)
    except Exception:
        old_pages, new_pages = [], []
    if len(new_pages) != len(old_pages):
        out.append(f"page count {len(old_pages)} -> {len(new_pages)}")
    for i, (po, pn) in enumerate(zip(old_pages, new_pages), 1):
        co, cn = _refs(_entry(po, "/Contents")), _refs(_entry(pn, "/Contents"))
        if len(cn) > len(co):
            out.append(f"page {i}: content stream added")
        elif cn != co:
            out.append(f"page {i}: content replaced")
        elif any(c in changed for c in cn):
            out.append(f"page {i}: content changed")
        ao, an = set(_refs(_entry(po, "/Annots"))), _refs(_entry(pn, "/Annots"))
        for key in an:
            annot = new(generic.Reference(*key))
            subtype = str(_get(annot, "/Subtype") or "/?").lstrip("/")
            is_field = subtype == "Widget" and ("/FT" in annot or "/Parent" in annot or "/T" in annot)
            if key not in ao and not is_field:
                out.append(f"page {i}: {subtype} annotation added")
            elif key in ao and key in changed and not is_field:
                out.append(f"page {i}: {subtype} annotation changed")
        if ao - set(an):
            out.append(f"page {i}: annotation removed")
    had = set(javascript_in(old))
    out += [f"JavaScript added at {where}" for where in javascript_in(new) if where not in had]
    if "/DSS" in new.root and (
        "/DSS" not in old.root or _key(new.root.raw_get("/DSS")) in changed
        or _key(new.root.raw_get("/DSS")) != _key(old.root.raw_get("/DSS"))
    ):
        out.append("validation data (DSS: certificates, OCSP, CRL)")
    return out


def revision_level(r: PdfFileReader, revision: int) -> tuple[ModificationLevel, str]:
    """pyHanko's modification level of one revision on its own, with the reason if suspicious."""
    try:
        result = DEFAULT_DIFF_POLICY.apply(
            r.get_historical_resolver(revision - 1), r.get_historical_resolver(revision)
        )
        return result.modification_level, ""
    except SuspiciousModification as e:
        return ModificationLevel.OTHER, str(e).splitlines()[0]
    except Exception as e:  # a revision pyHanko cannot even read is not acceptable either
        return ModificationLevel.OTHER, message_of(e)




def unsigned_revisions(r: PdfFileReader, signed_revs: set[int], total: int) -> dict[int, str]:
    """Revisions after the first signature that neither add a signature nor only validation data
    (DSS, document timestamps: what PAdES allows even after a DocMDP P=1 signature): rev -> what."""
    if not signed_revs:
        return {}
    out: dict[int, str] = {}
    for rev in range(min(signed_revs) + 1, total):
        if rev in signed_revs:
            continue
        level, why = revision_level(r, rev)
        if level > ModificationLevel.LTA_UPDATES:
            out[rev] = "; ".join(describe_revision(r, rev)) or why or level.name
    return out


def changes_after(r: PdfFileReader, revision: int | None, total: int) -> list[str]:
    """One line per revision after ``revision`` (all of them if it is unknown): what it changed."""
    start = revision if revision is not None else total
    return [f"revision {rev + 1}: " + ("; ".join(describe_revision(r, rev)) or "no visible change")
            for rev in range(start + 1, total)]


# --- JavaScript ------------------------------------------------------------------------------------


# Entries under which no action a viewer runs can hang (content, resources, appearances, field and
# signature values, metadata, validation data): not walked, which keeps the walk to the catalog,
# the page tree, annotations, form fields, name trees and outlines.
_INERT = frozenset({
    "/Parent", "/P", "/Resources", "/DR", "/Contents", "/AP", "/V", "/Perms", "/Metadata", "/StructTreeRoot",
    "/OutputIntents", "/DSS", "/Font", "/XObject", "/ColorSpace", "/ExtGState", "/Pattern", "/Shading", "/Thumb",
    "/PieceInfo", "/MarkInfo",
})


def javascript_in(h) -> list[str]:
    """Where the revision seen through ``h`` (a reader, or a historical resolver of one revision)
    holds a JavaScript action, as paths from the catalog (``/Root/OpenAction``,
    ``/Root/Names/JavaScript/Names[1]``, ``/Root/Pages/Kids[0]/Annots[2]/A``): an action with
    ``/S /JavaScript`` or any dictionary carrying ``/JS`` (a rendition action's script), wherever
    a viewer takes actions from: document or page ``/OpenAction`` and ``/AA``, the ``/Names``
    tree, annotations, form fields, outlines, ``/Next`` chains. Objects no catalog path reaches
    are not looked at (no viewer reaches them either); each object is visited once."""
    found: list[str] = []
    root = h.root_ref
    seen: set[tuple[int, int]] = {(root.idnum, root.generation)}
    stack: list[tuple[object, str]] = [(h.root, "/Root")]
    while stack:
        obj, path = stack.pop()
        if isinstance(obj, generic.IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            try:
                obj = obj.get_object()
            except Exception:  # a dangling reference holds nothing
                continue
        if isinstance(obj, generic.DictionaryObject):
            if "/JS" in obj or _is_name(obj, "/S", "/JavaScript"):
                found.append(path)
            stack += [(obj.raw_get(k), f"{path}/{str(k).lstrip('/')}") for k in reversed(list(obj.keys()))
                      if k not in _INERT]
        elif isinstance(obj, generic.ArrayObject):
            stack += [(obj.raw_get(i), f"{path}[{i}]") for i in reversed(range(len(obj)))]
    return found


def _is_name(d: generic.DictionaryObject, key: str, value: str) -> bool:
    try:
        return key in d and d.raw_get(key) == value
    except Exception:
        return False


# A name that could be /JS or /JavaScript: "/JS" or "/Ja", each letter perhaps written as a
# PDF name escape (#4A, #53, #61).
_J_NAME = re.compile(rb"/(?:J|#4[Aa])(?:S|#53|a|#61)")


def could_hold_javascript(r: PdfFileReader) -> bool:
    """False when no revision can hold a JavaScript action, decided from the raw bytes.

    Both markers of an action (the key ``/JS`` and the name ``/JavaScript``) are names that start
    with ``JS`` or ``Ja``; a file in which no name starts so (also spelt with ``#xx`` escapes)
    and no object is kept in a compressed object stream holds neither. Anything else (such a
    name anywhere, even by chance inside an image's bytes, or an object stream) answers True,
    and the catalog walk decides.
    """
    try:
        if any(r.xrefs.object_streams_used_in(rev) for rev in range(r.xrefs.total_revisions)):
            return True
        stream = r.stream
        at = stream.tell()
        stream.seek(0)
        data = stream.read()
        stream.seek(at)
    except Exception:
        return True
    return _J_NAME.search(data) is not None


def javascript_by_revision(r: PdfFileReader) -> dict[int, list[str]]:
    """Revision -> where JavaScript appears in it that the revision before did not have."""
    out: dict[int, list[str]] = {}
    if not could_hold_javascript(r):
        return out
    before: set[str] = set()
    for rev in range(r.xrefs.total_revisions):
        try:
            now = javascript_in(r.get_historical_resolver(rev))
        except Exception:  # an unreadable revision is reported by the difference analysis
            continue
        added = [p for p in now if p not in before]
        if added:
            out[rev] = added
        before = set(now)
    return out
