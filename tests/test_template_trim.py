"""Trimming a template before rendering: unused styles, latent styles and dead parts go; what a
letter uses stays. (That the shipped letters look the same pixel for pixel is checked with
LibreOffice in test_documents.py.)"""
from __future__ import annotations

from io import BytesIO
from zipfile import ZipFile

import pytest
from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

from correspondence.template_trim import trim_template

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _save(doc) -> bytes:
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def _style_sheet(data: bytes):
    with ZipFile(BytesIO(data)) as z:
        return etree.fromstring(z.read("word/styles.xml"))


def _style_ids(data: bytes) -> set[str]:
    return {s.get(W + "styleId") for s in _style_sheet(data).iter(W + "style")}


def _names(data: bytes) -> set[str]:
    with ZipFile(BytesIO(data)) as z:
        return set(z.namelist())


def _letter() -> bytes:
    doc = Document()
    doc.add_paragraph("Judul", style="Heading 1")
    doc.add_paragraph("Butir", style="List Bullet")
    p = doc.add_paragraph()
    p.add_run("tegas", style="Strong")
    table = doc.add_table(rows=1, cols=1)
    table.style = "Light Grid Accent 1"
    doc.sections[0].footer.paragraphs[0].style = "Footer"
    return _save(doc)


def test_unused_styles_go_and_used_ones_stay_with_their_chains():
    before = _letter()
    after = trim_template(before)
    kept = _style_ids(after)
    # used in the body, a table, the footer; the defaults of each type
    assert {"Heading1", "ListBullet", "Strong", "LightGrid-Accent1", "Footer"} <= kept
    assert {"Normal", "DefaultParagraphFont", "TableNormal", "NoList"} <= kept
    # chains: Heading 1 links to its character style, Footer links to FooterChar
    assert {"Heading1Char", "FooterChar"} <= kept
    # what nothing refers to is gone
    assert "Title" in _style_ids(before) and "Title" not in kept
    assert len(kept) < len(_style_ids(before)) / 5
    # every basedOn/next/link of a kept style resolves
    sheet = _style_sheet(after)
    for style in sheet.iter(W + "style"):
        for chain in ("basedOn", "next", "link"):
            el = style.find(W + chain)
            if el is not None:
                assert el.get(W + "val") in kept, (style.get(W + "styleId"), chain)
    assert sheet.find(W + "docDefaults") is not None


def test_latent_styles_styles_with_effects_and_thumbnail_go():
    before = _letter()
    assert _style_sheet(before).find(W + "latentStyles") is not None
    assert {"word/stylesWithEffects.xml", "docProps/thumbnail.jpeg"} <= _names(before)
    after = trim_template(before)
    assert _style_sheet(after).find(W + "latentStyles") is None
    names = _names(after)
    assert "word/stylesWithEffects.xml" not in names and "docProps/thumbnail.jpeg" not in names
    with ZipFile(BytesIO(after)) as z:
        rels = z.read("word/_rels/document.xml.rels") + z.read("_rels/.rels")
        types = z.read("[Content_Types].xml")
    assert b"stylesWithEffects" not in rels + types and b"thumbnail" not in rels + types
    # still a document python-docx (and so docxtpl) opens, with the same text
    assert [p.text for p in Document(BytesIO(after)).paragraphs] == ["Judul", "Butir", "tegas"]


def test_a_style_named_by_template_code_keeps_the_whole_sheet():
    doc = Document()
    p = doc.add_paragraph("{{ isi }}")
    p_pr = p._p.get_or_add_pPr()
    style = OxmlElement("w:pStyle")
    style.set(qn("w:val"), "{{ gaya }}")
    p_pr.insert(0, style)
    before = _save(doc)
    after = trim_template(before)
    assert _style_ids(after) == _style_ids(before)  # which style a letter uses is known only later
    assert _style_sheet(after).find(W + "latentStyles") is None


def test_a_style_named_only_in_numbering_or_a_header_stays():
    doc = Document()
    doc.add_paragraph("isi")
    doc.sections[0].header.paragraphs[0].style = "Header"
    numbering = doc.part.numbering_part.element
    lvl = numbering.find(".//" + qn("w:lvl"))
    link = OxmlElement("w:pStyle")
    link.set(qn("w:val"), "ListNumber")
    lvl.append(link)
    ids = _style_ids(trim_template(_save(doc)))
    assert {"Header", "ListNumber"} <= ids
    assert "Title" not in ids


def test_not_a_docx_raises():
    with pytest.raises(Exception):
        trim_template(b"bukan docx")
