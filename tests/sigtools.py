"""Helpers for the signature tests: a small letter PDF with Naskah's named destinations.

The PDF is made the way production makes it: a DOCX with Word bookmarks
(``naskah_nomor``, ``naskah_tanggal``, ``naskah_ttd``, ``naskah_paraf``) converted by
LibreOffice to PDF/A-2b with ``ExportBookmarksToPDFDestination``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

EXPORT_FILTER = (
    'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"},'
    '"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}'
)

_bookmark_id = 0


def _add_bookmark(paragraph, name: str) -> None:
    """Insert an empty bookmark (start+end) at the end of ``paragraph``."""
    global _bookmark_id
    _bookmark_id += 1
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(_bookmark_id))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(_bookmark_id))
    paragraph._p.append(start)
    paragraph._p.append(end)


def make_letter_docx(path: Path, *, bookmarks: tuple[str, ...] = (
        "naskah_nomor", "naskah_tanggal", "naskah_ttd", "naskah_paraf")) -> Path:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Liberation Sans"
    style.font.size = Pt(12)
    doc.add_paragraph("PEMERINTAH KABUPATEN CONTOH\nDINAS KOMUNIKASI DAN INFORMATIKA")
    p = doc.add_paragraph("Nomor : ")
    if "naskah_nomor" in bookmarks:
        _add_bookmark(p, "naskah_nomor")
    p = doc.add_paragraph("Contoh, ")
    if "naskah_tanggal" in bookmarks:
        _add_bookmark(p, "naskah_tanggal")
    doc.add_paragraph("Hal : Jawaban atas pengaduan masyarakat")
    for _ in range(3):
        doc.add_paragraph(
            "Menindaklanjuti pengaduan Saudara, dengan ini kami sampaikan bahwa "
            "permasalahan tersebut telah ditangani oleh perangkat daerah terkait.")
    doc.add_paragraph("Kepala Dinas Komunikasi dan Informatika")
    p = doc.add_paragraph("")
    if "naskah_ttd" in bookmarks:
        _add_bookmark(p, "naskah_ttd")
    for _ in range(6):
        doc.add_paragraph("")
    doc.add_paragraph("Budi Santoso, S.Kom.")
    doc.add_paragraph("NIP. 19700101 199503 1 001")
    p = doc.add_paragraph("")
    if "naskah_paraf" in bookmarks:
        _add_bookmark(p, "naskah_paraf")
    doc.save(str(path))
    return path


def convert_to_pdf(docx: Path, outdir: Path) -> Path:
    """Convert with a throw-away LibreOffice profile (safe to run beside other soffice)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    profile = outdir / "lo-profile"
    env = dict(os.environ, HOME=str(outdir))
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", EXPORT_FILTER, "--outdir", str(outdir), str(docx)],
        check=True, capture_output=True, timeout=180, env=env,
    )
    pdf = outdir / (docx.stem + ".pdf")
    if not pdf.exists():
        raise RuntimeError(f"LibreOffice did not produce {pdf}")
    return pdf


def make_letter_pdf(workdir: Path, name: str = "letter", **kw) -> bytes:
    workdir.mkdir(parents=True, exist_ok=True)
    docx = make_letter_docx(workdir / f"{name}.docx", **kw)
    return convert_to_pdf(docx, workdir).read_bytes()


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def widget_rects(pdf: bytes) -> dict[str, tuple[int, list[float]]]:
    """Field name -> (page index, /Rect) of every widget."""
    import io

    from pypdf import PdfReader

    out = {}
    for index, page in enumerate(PdfReader(io.BytesIO(pdf)).pages):
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            if "/T" in a:
                out[str(a["/T"])] = (index, [float(v) for v in a["/Rect"]])
    return out


def fast_and_full_verdicts(pdf: bytes, **verify_kwargs) -> tuple[dict, dict, int]:
    """verify_pdf's report with Naskah's judgement of signing revisions and with pyHanko's
    difference analysis for every signature, and how many signatures the former judged."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    from signatures import revisions
    from signatures.validation import verify_pdf

    r = PdfFileReader(io.BytesIO(pdf))
    sigs = list(r.embedded_regular_signatures)
    fields = revisions.form_field_objects(r)
    judged = sum(revisions.signing_only(r, s, sigs, fields) is not None for s in sigs)
    fast = verify_pdf(pdf, **verify_kwargs).to_dict()
    full = verify_pdf(pdf, full_analysis=True, **verify_kwargs).to_dict()
    return fast, full, judged
