"""Trim a DOCX template of what no letter made from it uses, before it is rendered.

A template saved by python-docx, Word or LibreOffice carries a style sheet for every built-in
style (python-docx's default: 164 styles and 137 latent-style entries, 350 kB of XML), a Word 2010
copy of it (``stylesWithEffects.xml``, 440 kB) and a thumbnail of some other document. LibreOffice
imports every style of the sheet for each letter it converts, which was about a third of its work
per letter; python-docx parses the sheet on each render too.

What is removed cannot change how a letter looks:

* styles that nothing refers to: a style is kept when a part other than the style sheet names it
  (``pStyle``, ``rStyle``, ``tblStyle``, ``numStyleLink``, ``styleLink``), when it is a default
  style of its type, or when a kept style is based on it, links to it or names it as the style of
  its next paragraph. ``docDefaults`` stay;
* the latent-style list (Word's table of built-in styles it has not written out; Word rebuilds it);
* the ``stylesWithEffects`` part (read by Word 2010 only, ignored when ``styles.xml`` is present)
  and the package thumbnail.

A template whose style references are themselves template code (``w:val="{{ ... }}"``) keeps its
whole style sheet: which style a letter will use is not known before rendering. The trimmed
template is what Naskah renders; the template file itself is not changed.
"""
from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn

__all__ = ["trim_template"]

_REFERENCES = tuple(qn(f"w:{t}") for t in ("pStyle", "rStyle", "tblStyle", "numStyleLink", "styleLink"))
_CHAINS = tuple(qn(f"w:{t}") for t in ("basedOn", "next", "link"))
_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
_VAL, _STYLE_ID, _DEFAULT = qn("w:val"), qn("w:styleId"), qn("w:default")


def trim_template(docx: bytes) -> bytes:
    """``docx`` without unused styles, latent styles, ``stylesWithEffects`` and thumbnail.

    Raises whatever python-docx raises on a file that is not a DOCX; the caller decides.
    """
    document = Document(BytesIO(docx))
    main = document.part
    try:
        styles_part = main.part_related_by(RT.STYLES)
    except KeyError:
        styles_part = None
    if styles_part is not None:
        _trim_styles(styles_part.element, _referenced_styles(main, styles_part))
    for rels, reltype in ((main.rels, _STYLES_WITH_EFFECTS), (main.package.rels, RT.THUMBNAIL)):
        for rid in [rid for rid, rel in rels.items() if rel.reltype == reltype]:
            rels.pop(rid)
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _referenced_styles(main, styles_part) -> set[str] | None:
    """Style ids named outside the style sheet; None when a reference is template code."""
    named: set[str] = set()
    seen = {id(styles_part)}
    todo = [main]
    while todo:
        part = todo.pop()
        element = getattr(part, "element", None)
        if element is not None:
            for el in element.iter(*_REFERENCES):
                value = el.get(_VAL) or ""
                if "{" in value or "%" in value:
                    return None
                named.add(value)
        for rel in part.rels.values():
            if rel.is_external:
                continue
            target = rel.target_part
            if id(target) not in seen:
                seen.add(id(target))
                todo.append(target)
    return named


def _trim_styles(sheet, referenced: set[str] | None) -> None:
    latent = sheet.find(qn("w:latentStyles"))
    if latent is not None:
        sheet.remove(latent)
    if referenced is None:
        return
    by_id = {s.get(_STYLE_ID): s for s in sheet.iterchildren(qn("w:style"))}
    keep = set(referenced) | {sid for sid, s in by_id.items() if s.get(_DEFAULT) in ("1", "true", "on")}
    todo = list(keep)
    while todo:
        style = by_id.get(todo.pop())
        if style is None:
            continue
        for chain in style.iterchildren(*_CHAINS):
            target = chain.get(_VAL)
            if target and target not in keep:
                keep.add(target)
                todo.append(target)
    for sid, style in by_id.items():
        if sid not in keep:
            sheet.remove(style)
