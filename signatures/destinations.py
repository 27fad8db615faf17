"""Pages and named destinations of a PDF, read with pyHanko's reader.

LibreOffice exports a template's Word bookmarks as named destinations; Naskah places its fields
there. Reading them with the reader that signs the letter anyway keeps a second PDF library
(pypdf) out of the conversion and signing path.

:func:`layout` gives both:

* the page boxes: the page tree walked in order, with the inherited ``/MediaBox`` and
  ``/CropBox`` (ISO 32000-1, 7.7.3.4), guarded against cycles and absurd depths.
* the named destinations (:func:`named_destinations`), from both places a PDF may keep them:
  the name tree under ``/Names /Dests`` (PDF 1.2 and later) and the older ``/Dests``
  dictionary of the catalog. A destination is an array ``[page /XYZ left top zoom]`` (and the other fit types), or a
  dictionary holding one under ``/D``.

Anything unreadable raises :class:`LayoutError`; the caller turns it into its own error.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

MAX_DEPTH = 64  # page tree and name tree levels; real files have a handful
MAX_NODES = 200_000


class LayoutError(Exception):
    """The page tree or the destinations cannot be read."""


@dataclass(frozen=True)
class PageBox:
    """A page's visible area (its crop box), normalised so that left < right and bottom < top."""

    left: float
    bottom: float
    right: float
    top: float


@dataclass(frozen=True)
class Destination:
    """Where a named destination points: a page index and, when the fit type gives them, a point."""

    page: int
    left: float | None
    top: float | None


def _entry(d: generic.DictionaryObject, key: str) -> object | None:
    """``d[key]`` dereferenced, or None when absent or null."""
    try:
        return d[key]
    except KeyError:
        return None


def _box(value: object) -> PageBox:
    arr = value.get_object() if isinstance(value, generic.IndirectObject) else value
    if not isinstance(arr, generic.ArrayObject) or len(arr) != 4:
        raise LayoutError(f"a page box is not an array of four numbers: {arr!r}")
    try:
        x1, y1, x2, y2 = (float(v.get_object() if isinstance(v, generic.IndirectObject) else v) for v in arr)
    except (TypeError, ValueError) as exc:
        raise LayoutError(f"a page box holds something that is not a number ({exc})") from None
    return PageBox(min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _pages(r: PdfFileReader) -> list[tuple[tuple[int, int] | None, PageBox]]:
    """(reference, crop box) of every page, in document order."""
    out: list[tuple[tuple[int, int] | None, PageBox]] = []
    seen: set[tuple[int, int]] = set()
    root_ref = r.root.raw_get("/Pages")
    # stack of (reference or node, inherited media box, inherited crop box, depth)
    stack: list[tuple[object, object, object, int]] = [(root_ref, None, None, 0)]
    while stack:
        node_ref, media, crop, depth = stack.pop()
        if depth > MAX_DEPTH or len(seen) > MAX_NODES:
            raise LayoutError("the page tree is too deep or too large")
        ref = None
        if isinstance(node_ref, generic.IndirectObject):
            ref = (node_ref.idnum, node_ref.generation)
            if ref in seen:
                raise LayoutError(f"the page tree loops (object {ref[0]} is reached twice)")
            seen.add(ref)
            node = node_ref.get_object()
        else:
            node = node_ref
        if not isinstance(node, generic.DictionaryObject):
            raise LayoutError("a page tree node is not a dictionary")
        media = node.raw_get("/MediaBox") if "/MediaBox" in node else media
        crop = node.raw_get("/CropBox") if "/CropBox" in node else crop
        kind = _entry(node, "/Type")
        if kind == "/Pages" or (kind is None and "/Kids" in node):
            kids = _entry(node, "/Kids")
            if not isinstance(kids, generic.ArrayObject):
                raise LayoutError("a page tree node's /Kids is not an array")
            # reversed onto the stack, so that pages come out in document order
            stack.extend((kid, media, crop, depth + 1) for kid in reversed(list(kids.iterate())))
        else:
            if media is None:
                raise LayoutError("a page has no /MediaBox, on itself or inherited")
            out.append((ref, _box(crop if crop is not None else media)))
    return out


def _number(value: object) -> float | None:
    if isinstance(value, generic.IndirectObject):
        value = value.get_object()
    if isinstance(value, (generic.NumberObject, generic.FloatObject, int, float)) and not isinstance(value, bool):
        return float(value)
    return None  # null (keep the viewer's current value) or junk


def _destination(value: object, page_index: dict[tuple[int, int], int]) -> Destination | None:
    if isinstance(value, generic.IndirectObject):
        value = value.get_object()
    if isinstance(value, generic.DictionaryObject):
        value = _entry(value, "/D")
    if not isinstance(value, generic.ArrayObject) or len(value) < 2:
        return None
    target = value.raw_get(0)
    if not isinstance(target, generic.IndirectObject):
        return None  # a page number: only valid in remote go-to actions
    page = page_index.get((target.idnum, target.generation))
    if page is None:
        return None
    fit = value[1]
    args = [_number(v) for v in list(value.iterate())[2:]]

    def arg(i: int) -> float | None:
        return args[i] if i < len(args) else None

    if fit == "/XYZ":
        return Destination(page, arg(0), arg(1))
    if fit in ("/FitH", "/FitBH"):
        return Destination(page, None, arg(0))
    if fit in ("/FitV", "/FitBV"):
        return Destination(page, arg(0), None)
    if fit == "/FitR":
        return Destination(page, arg(0), arg(3))
    return Destination(page, None, None)  # /Fit, /FitB


def _name_tree(node_ref: object, depth: int, seen: set[int], out: dict[str, object]) -> None:
    if depth > MAX_DEPTH or len(seen) > MAX_NODES:
        raise LayoutError("the destination name tree is too deep or too large")
    if isinstance(node_ref, generic.IndirectObject):
        if node_ref.idnum in seen:
            raise LayoutError(f"the destination name tree loops (object {node_ref.idnum} is reached twice)")
        seen.add(node_ref.idnum)
        node = node_ref.get_object()
    else:
        node = node_ref
    if not isinstance(node, generic.DictionaryObject):
        raise LayoutError("a node of the destination name tree is not a dictionary")
    names = _entry(node, "/Names")
    if isinstance(names, generic.ArrayObject):
        for i in range(0, len(names) - 1, 2):
            key = names[i]
            if isinstance(key, generic.TextStringObject):
                out.setdefault(str(key), names.raw_get(i + 1))
            elif isinstance(key, generic.ByteStringObject):
                out.setdefault(bytes(key).decode("latin-1"), names.raw_get(i + 1))
    kids = _entry(node, "/Kids")
    if isinstance(kids, generic.ArrayObject):
        for kid in kids.iterate():
            _name_tree(kid, depth + 1, seen, out)


def named_destinations(r: PdfFileReader, pages: list[tuple[tuple[int, int] | None, PageBox]] | None = None) -> dict[str, Destination]:
    """Destination name -> where it points (destinations to no page of this file are left out)."""
    if pages is None:
        pages = _pages(r)
    page_index = {ref: i for i, (ref, _box) in enumerate(pages) if ref is not None}
    raw: dict[str, object] = {}
    root = r.root
    names = _entry(root, "/Names")
    if isinstance(names, generic.DictionaryObject) and _entry(names, "/Dests") is not None:
        _name_tree(names.raw_get("/Dests"), 0, set(), raw)
    old = _entry(root, "/Dests")
    if isinstance(old, generic.DictionaryObject):
        for key in old:
            raw.setdefault(str(key)[1:], old.raw_get(key))
    out: dict[str, Destination] = {}
    for name, value in raw.items():
        dest = _destination(value, page_index)
        if dest is not None:
            out[name] = dest
    return out


def layout(r: PdfFileReader) -> tuple[list[PageBox], dict[str, Destination]]:
    """Page boxes and named destinations, from one walk of the page tree."""
    try:
        pages = _pages(r)
        return [box for _ref, box in pages], named_destinations(r, pages)
    except LayoutError:
        raise
    except Exception as exc:  # pyHanko raises several kinds on broken objects
        raise LayoutError(f"{type(exc).__name__}: {exc}") from None
