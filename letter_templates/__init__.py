"""DOCX templates and office letterheads. Edit the .docx files in Word or LibreOffice."""
from pathlib import Path

TEMPLATE_DIR = Path(__file__).resolve().parent


def template_path(name: str) -> Path:
    """Path of a shipped template by file name (e.g. ``surat_jawaban.docx``)."""
    return TEMPLATE_DIR / name

